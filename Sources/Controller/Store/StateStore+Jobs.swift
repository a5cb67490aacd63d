import Foundation
import GRDB
import Scheduler

extension StateStore {
    /// Records a new pending job and returns its id, after the commit is on disk.
    public func submit(_ submission: JobSubmission, at time: Timestamp) throws(StateStoreError) -> Int64 {
        try submit([submission], at: time)[0]
    }

    /// Records several new pending jobs in one transaction (one fsync: group commit for a burst of
    /// submissions); returns their ids in order, after the commit is on disk.
    public func submit(_ submissions: [JobSubmission], at time: Timestamp) throws(StateStoreError) -> [Int64] {
        try submit(groups: submissions.map { [$0] }, at: time).flatMap { $0.map(\.id) }
    }

    /// Records groups of new pending jobs in one transaction: every job of every group, or (on any failure)
    /// none. A group is one submission: a single job, or every task of a job array, whose `arrayJobId` is
    /// set here to the id of the group's first job. Returns the jobs as recorded, after the commit is on disk.
    public func submit(groups: [[JobSubmission]], at time: Timestamp) throws(StateStoreError) -> [[Job]] {
        let count = groups.reduce(0) { $0 + $1.count }
        let what = count == 1 ? "submit job '\(groups[0][0].name)'" : "submit \(count) jobs"
        return try write(what) { db in
            try groups.map { group in
                var arrayJobId: Int64?
                let jobs = try group.map { s in
                    var job = Job(id: 0, submission: s, submitted: time)
                    if let a = arrayJobId { job.array?.arrayJobId = a }
                    try db.cachedStatement(sql: Self.insertSQL).execute(arguments: JobRow.arguments(job))
                    job.id = db.lastInsertedRowID
                    if job.array != nil && arrayJobId == nil {
                        // The first task: its id is the array's.
                        arrayJobId = job.id
                        job.array?.arrayJobId = job.id
                        try Self.replace(job, in: db)
                    }
                    return job
                }
                // The submission's environment, once: every task of an array reads its array's.
                if let first = jobs.first, let arguments = try JobRow.environmentArguments(first) {
                    try db.cachedStatement(sql: JobRow.insertEnvironmentSQL).execute(arguments: arguments)
                }
                return jobs
            }
        }
    }

    /// The tasks of job array `arrayJobId` (lowest index first) as id, index and state: a light read for
    /// dependencies on a whole array.
    public func arrayTasks(_ arrayJobId: Int64) throws(StateStoreError) -> [ArrayTaskState] {
        try read("read array \(arrayJobId)'s tasks") { db in
            try Row.fetchAll(
                db, sql: "SELECT id, array_task_id, state FROM jobs WHERE array_job_id = ? ORDER BY array_task_id",
                arguments: [arrayJobId]
            ).map { row in
                let id: Int64 = row["id"]
                let text: String = row["state"]
                guard let state = JobState(rawValue: text) else {
                    throw StateStoreError(.corrupt, "state store: job \(id) has an unknown state '\(text)'")
                }
                return ArrayTaskState(id: id, taskId: row["array_task_id"], state: state)
            }
        }
    }

    /// Task `taskId` of job array `arrayJobId`, or nil; `environment: false` leaves its environment unread.
    public func job(arrayJobId: Int64, taskId: Int, environment: Bool = true) throws(StateStoreError) -> Job? {
        try read("read job \(arrayJobId)_\(taskId)") { db in
            try Row.fetchOne(
                db,
                sql: (environment ? JobRow.selectWithEnvironment : JobRow.selectPlain)
                    + " WHERE array_job_id = ? AND array_task_id = ?",
                arguments: [arrayJobId, taskId]
            ).map(JobRow.job)
        }
    }

    /// The job with this id, with its environment unless `environment` is false (callers that want its
    /// state, allocation or array: the output path, dependencies), or nil.
    public func job(_ id: Int64, environment: Bool = true) throws(StateStoreError) -> Job? {
        try read("read job \(id)") { db in
            try Row.fetchOne(
                db, sql: (environment ? JobRow.selectWithEnvironment : JobRow.selectPlain) + " WHERE id = ?",
                arguments: [id]
            )
            .map(JobRow.job)
        }
    }

    /// The jobs that match, lowest ids first (with their environments when `filter.environments`).
    public func jobs(filter: JobFilter = JobFilter()) throws(StateStoreError) -> [Job] {
        var clauses: [String] = []
        var arguments = StatementArguments()
        if let states = filter.states {
            let sorted = states.map(\.rawValue).sorted()
            clauses.append("state IN (\(sorted.map { _ in "?" }.joined(separator: ", ")))")
            arguments += StatementArguments(sorted)
        }
        if let user = filter.user {
            clauses.append("user = ?")
            arguments += [user]
        }
        if let array = filter.arrayJobId {
            clauses.append("array_job_id = ?")
            arguments += [array]
        }
        if let after = filter.afterId {
            clauses.append("id > ?")
            arguments += [after]
        }
        if let since = filter.endedSince {
            clauses.append("end_time >= ?")
            arguments += [since]
        }
        var sql = filter.environments ? JobRow.selectWithEnvironment : "SELECT * FROM jobs"
        if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
        sql += " ORDER BY id"
        if let limit = filter.limit {
            sql += " LIMIT ?"
            arguments += [limit]
        }
        let query = sql, args = arguments
        return try read("list jobs") { db in
            var shared: [Int64: [String: String]] = [:]
            return try Row.fetchAll(db, sql: query, arguments: args).map { try JobRow.job($0, shared: &shared) }
        }
    }

    /// How many jobs are in each state.
    public func jobCounts() throws(StateStoreError) -> [JobState: Int] {
        try read("count jobs") { db in
            var out: [JobState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM jobs GROUP BY state") {
                if let s = JobState(rawValue: row["state"]) { out[s] = row["n"] }
            }
            return out
        }
    }

    /// Replaces a job's record (the whole row). Prefer `transition(_:_:)` for state changes.
    public func update(_ job: Job) throws(StateStoreError) {
        try write("update job \(job.id)") { db in
            try Self.replace(job, in: db)
        }
    }

    /// Applies a lifecycle event to a job inside one transaction: reads it, runs `JobLifecycle.apply`,
    /// writes the result, commits. Returns the transition (with the actions the caller must perform)
    /// only once it is on disk; a refused event changes nothing and throws with `kind == .refused`.
    @discardableResult
    public func transition(
        _ id: Int64, _ event: JobLifecycle.Event
    ) throws(StateStoreError) -> JobLifecycle.Transition {
        try write("record an event for job \(id)") { db in
            guard let row = try Row.fetchOne(db, sql: JobRow.selectWithEnvironment + " WHERE id = ?", arguments: [id])
            else {
                throw StateStoreError(.notFound, "no job \(id)")
            }
            let t = try JobLifecycle.apply(event, to: try JobRow.job(row))
            try Self.replace(t.job, in: db)
            return t
        }
    }

    /// Applies several events (to different jobs) in one transaction: all are recorded, or none (the first
    /// refusal throws). One fsync for a scheduling pass that starts many jobs.
    public func transitions(
        _ events: [(Int64, JobLifecycle.Event)]
    ) throws(StateStoreError) -> [JobLifecycle.Transition] {
        guard !events.isEmpty else { return [] }
        let list = events.map { Pair(id: $0.0, event: $0.1) }
        return try write("record events for \(events.count) jobs") { db in
            try list.map { p in
                guard
                    let row = try Row.fetchOne(
                        db, sql: JobRow.selectWithEnvironment + " WHERE id = ?", arguments: [p.id])
                else {
                    throw StateStoreError(.notFound, "no job \(p.id)")
                }
                let t = try JobLifecycle.apply(p.event, to: try JobRow.job(row))
                try Self.replace(t.job, in: db)
                return t
            }
        }
    }

    /// Writes jobs' whole rows, in order, and the runs that ended, in one transaction (one fsync): the
    /// controller's write-behind of transitions it has already applied to its own copy
    /// (`ControllerCore+Durability`).
    public func replace(_ jobs: [Job], runs: [JobRun] = []) throws(StateStoreError) {
        guard !jobs.isEmpty || !runs.isEmpty else { return }
        try write("record \(jobs.count) job changes") { db in
            for j in jobs { try Self.replace(j, in: db) }
            for r in runs {
                try db.cachedStatement(sql: JobRunRow.insertSQL).execute(arguments: JobRunRow.arguments(r))
            }
        }
    }

    private struct Pair: Sendable {
        var id: Int64
        var event: JobLifecycle.Event
    }

    private static func replace(_ job: Job, in db: Database) throws {
        var arguments = try JobRow.arguments(job)
        arguments += [job.id]
        try db.cachedStatement(sql: Self.updateSQL).execute(arguments: arguments)
        guard db.changesCount == 1 else { throw StateStoreError(.notFound, "no job \(job.id)") }
    }

    private static let updateSQL =
        "UPDATE jobs SET "
        + JobRow.columns.split(separator: ",").map { "\($0.trimmingCharacters(in: .whitespaces)) = ?" }
        .joined(separator: ", ") + " WHERE id = ?"

    private static let insertSQL =
        "INSERT INTO jobs (\(JobRow.columns)) VALUES ("
        + Array(repeating: "?", count: JobRow.columns.split(separator: ",").count).joined(separator: ", ") + ")"
}

/// A task of a job array as `StateStore.arrayTasks` reads it.
public struct ArrayTaskState: Hashable, Sendable {
    public var id: Int64
    public var taskId: Int
    public var state: JobState
}
