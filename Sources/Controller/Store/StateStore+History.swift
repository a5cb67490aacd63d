import Foundation
import GRDB
import Scheduler

/// The platform's history: jobs by time window with their runs, the runs a usage report sums, and the purge
/// of what is older than the retention.
extension StateStore {
    /// The jobs `filter` selects, lowest ids first, each with its recorded runs (oldest first).
    public func history(_ filter: HistoryFilter) throws(StateStoreError) -> [(job: Job, runs: [JobRun])] {
        var arguments: StatementArguments = [
            filter.untilMillis, filter.sinceMillis, filter.untilMillis, filter.sinceMillis, filter.untilMillis,
        ]
        var clauses: [String] = []
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
        let sql = """
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
            guard let first = jobs.first?.id, let last = jobs.last?.id else { return [] }
            var runs: [Int64: [JobRun]] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT * FROM job_runs WHERE job_id BETWEEN ? AND ? ORDER BY job_id, run",
                arguments: [first, last])
            {
                let run = try JobRunRow.run(row)
                runs[run.jobId, default: []].append(run)
            }
            return jobs.map { ($0, runs[$0.id] ?? []) }
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
