import Foundation
import GRDB
import Scheduler

/// The platform's history: jobs by time window with their runs, the runs a usage report sums, and the purge
/// of what is older than the retention.
extension StateStore {
    /// The jobs `filter` selects, lowest ids first, each with its recorded runs (oldest first).
    ///
    /// A job is in the window by one of three paths: running and started by its end, a run that overlapped it
    /// (`job_runs` by `end_ms`), or ended in it without having started. Asked for everyone's jobs, the three
    /// are gathered by their indexes first; asked for some users' (a user's own history), the users' jobs are
    /// read by user and each is tested, which reads thousands of rows rather than the window's tens of
    /// thousands.
    public func history(_ filter: HistoryFilter) throws(StateStoreError) -> [(job: Job, runs: [JobRun])] {
        let byUser = filter.users != nil || (filter.viewer.map { $0.accounts.isEmpty } ?? false)
        var arguments: StatementArguments =
            byUser
            ? []
            : [
                filter.untilMillis, filter.sinceMillis, filter.untilMillis, filter.sinceMillis, filter.untilMillis,
            ]
        var clauses: [String] = []
        if byUser {
            clauses.append(
                """
                ((state = 'running' AND start_ms <= ?) \
                OR EXISTS (SELECT 1 FROM job_runs r WHERE r.job_id = jobs.id AND r.end_ms >= ? AND r.start_ms <= ?) \
                OR (start_ms IS NULL AND end_ms >= ? AND end_ms <= ?))
                """)
            arguments += [
                filter.untilMillis, filter.sinceMillis, filter.untilMillis, filter.sinceMillis, filter.untilMillis,
            ]
        }
        func set(_ column: String, _ values: Set<String>?) {
            guard let values else { return }
            let sorted = values.sorted()
            clauses.append("\(column) IN (\(sorted.map { _ in "?" }.joined(separator: ", ")))")
            arguments += StatementArguments(sorted)
        }
        if let v = filter.viewer {
            let accounts = v.accounts.sorted()
            if accounts.isEmpty {
                clauses.append("user = ?")
                arguments += [v.user]
            } else {
                clauses.append("(user = ? OR account IN (\(accounts.map { _ in "?" }.joined(separator: ", "))))")
                arguments += [v.user]
                arguments += StatementArguments(accounts)
            }
        }
        set("user", filter.users)
        set("account", filter.accounts)
        set("partition", filter.partitions)
        set("state", filter.states.map { Set($0.map(\.rawValue)) })
        if let node = filter.node {
            clauses.append(
                """
                (id IN (SELECT job_id FROM job_runs WHERE instr(nodes, ?) > 0) \
                OR (state = 'running' AND instr(allocation, ?) > 0))
                """)
            arguments += [JobRunRow.nodesText([node]), "\"node\":\"\(node)\""]
        }
        if let after = filter.afterId {
            clauses.append("id > ?")
            arguments += [after]
        }
        arguments += [max(filter.limit, 0)]
        let conditions = clauses.joined(separator: " AND ")
        let sql =
            byUser
            ? "\(JobRow.selectPlain) WHERE \(conditions) ORDER BY id LIMIT ?"
            : """
            WITH ids(id) AS (
                SELECT id FROM jobs WHERE state = 'running' AND start_ms <= ?
                UNION SELECT job_id FROM job_runs WHERE end_ms >= ? AND start_ms <= ?
                UNION SELECT id FROM jobs WHERE end_ms >= ? AND end_ms <= ? AND start_ms IS NULL
            )
            \(JobRow.selectPlain) WHERE id IN ids\(clauses.map { " AND " + $0 }.joined()) ORDER BY id LIMIT ?
            """
        let bound = arguments
        return try read("read the job history") { db in
            var shared: [Int64: [String: String]] = [:]
            let jobs = try Row.fetchAll(db, sql: sql, arguments: bound).map { try JobRow.job($0, shared: &shared) }
            var runs: [Int64: [JobRun]] = [:]
            // The page's jobs' runs, by id (their ids may lie far apart).
            for chunk in stride(from: 0, to: jobs.count, by: 500) {
                let ids = jobs[chunk..<min(chunk + 500, jobs.count)].map(\.id)
                for row in try Row.fetchAll(
                    db,
                    sql: "SELECT * FROM job_runs WHERE job_id IN (\(ids.map { _ in "?" }.joined(separator: ", ")))",
                    arguments: StatementArguments(ids))
                {
                    let run = try JobRunRow.run(row)
                    runs[run.jobId, default: []].append(run)
                }
            }
            return jobs.map { ($0, (runs[$0.id] ?? []).sorted { $0.run < $1.run }) }
        }
    }

    /// The spans of GPU time of the runs that overlapped the window, read lean (only what a usage report
    /// sums), of `viewer`'s jobs and its accounts' (everyone's for nil).
    func usageSpans(
        sinceMillis: Int64, untilMillis: Int64, viewer: HistoryFilter.Viewer?
    ) throws(StateStoreError) -> [UsageTally.Span] {
        var sql = """
            SELECT job_id, run, user, account, partition, gpu_model, gpus, submit_ms, start_ms, end_ms \
            FROM job_runs WHERE end_ms >= ? AND start_ms < ?
            """
        var arguments: StatementArguments = [sinceMillis, untilMillis]
        if let v = viewer {
            let accounts = v.accounts.sorted()
            sql += " AND (user = ?"
            sql += accounts.isEmpty ? ")" : " OR account IN (\(accounts.map { _ in "?" }.joined(separator: ", "))))"
            arguments += [v.user]
            arguments += StatementArguments(accounts)
        }
        let query = sql, bound = arguments
        return try read("read job runs") { db in
            var out: [UsageTally.Span] = []
            let rows = try Row.fetchCursor(db, sql: query, arguments: bound)
            while let r = try rows.next() {
                out.append(
                    UsageTally.Span(
                        jobId: r[0], run: r[1], user: r[2], account: r[3], partition: r[4], gpuModel: r[5], gpus: r[6],
                        submitMillis: r[7], startMillis: r[8], endMillis: r[9]))
            }
            return out
        }
    }

    /// The runs that overlapped the window (ended at or after `sinceMillis`, started before `untilMillis`),
    /// of `viewer`'s jobs and its accounts' (everyone's for nil), in no particular order.
    public func runs(
        sinceMillis: Int64, untilMillis: Int64, viewer: HistoryFilter.Viewer? = nil
    ) throws(StateStoreError) -> [JobRun] {
        var sql = "SELECT * FROM job_runs WHERE end_ms >= ? AND start_ms < ?"
        var arguments: StatementArguments = [sinceMillis, untilMillis]
        if let v = viewer {
            let accounts = v.accounts.sorted()
            sql +=
                " AND (user = ?"
                + (accounts.isEmpty ? "" : " OR account IN (\(accounts.map { _ in "?" }.joined(separator: ", ")))")
                + ")"
            arguments += [v.user]
            arguments += StatementArguments(accounts)
        }
        let query = sql, bound = arguments
        return try read("read job runs") { db in
            try Row.fetchAll(db, sql: query, arguments: bound).map(JobRunRow.run)
        }
    }

    /// The recorded runs of job `id`, oldest first.
    public func runs(ofJob id: Int64) throws(StateStoreError) -> [JobRun] {
        try read("read job \(id)'s runs") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM job_runs WHERE job_id = ? ORDER BY run", arguments: [id])
                .map(JobRunRow.run)
        }
    }

    /// Deletes up to `batch` ended jobs that ended before `endedBeforeMillis`, oldest ids first, with their
    /// runs and (once no job of the submission is left) their environments, in one transaction; returns how
    /// many jobs it deleted (fewer than `batch`: nothing older is left).
    public func purgeHistory(endedBeforeMillis: Int64, batch: Int = 10_000) throws(StateStoreError) -> Int {
        let final = JobState.allCases.filter(\.isFinal).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return try write("purge old job history") { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, array_job_id FROM jobs WHERE end_ms < ? AND state IN (\(final)) ORDER BY end_ms LIMIT ?
                    """,
                arguments: [endedBeforeMillis, max(batch, 1)])
            var arrays = Set<Int64>()
            for row in rows {
                let id: Int64 = row["id"]
                try db.execute(sql: "DELETE FROM jobs WHERE id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM job_runs WHERE job_id = ?", arguments: [id])
                if let array: Int64 = row["array_job_id"] {
                    arrays.insert(array)
                } else {
                    try db.execute(sql: "DELETE FROM job_environments WHERE job_id = ?", arguments: [id])
                }
            }
            for array in arrays {
                try db.execute(
                    sql: """
                        DELETE FROM job_environments WHERE job_id = ? \
                        AND NOT EXISTS (SELECT 1 FROM jobs WHERE array_job_id = ?)
                        """,
                    arguments: [array, array])
            }
            return rows.count
        }
    }
}
