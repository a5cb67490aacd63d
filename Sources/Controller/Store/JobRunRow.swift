import Foundation
import GRDB
import Scheduler

/// How a `JobRun` maps to a row of `job_runs`. Nodes are one text, each name between commas (",dgx01,dgx02,"),
/// so that a node is found with `instr` and no pattern.
enum JobRunRow {
    static let columns = """
        job_id, run, user, account, partition, gpus, gpu_model, nodes, submit_ms, start_ms, end_ms, released_ms, \
        outcome, exit_code, signal, reason, cpu_seconds, peak_memory_bytes, gpu_usage
        """

    static let insertSQL = insert(columns)

    /// The columns of migration v10, before `gpu_usage`: what its backfill writes.
    static let v10Columns = columns.replacingOccurrences(of: ", gpu_usage", with: "")
    static let insertSQLv10 = insert(v10Columns)

    private static func insert(_ columns: String) -> String {
        "INSERT OR REPLACE INTO job_runs (\(columns)) VALUES ("
            + Array(repeating: "?", count: columns.split(separator: ",").count).joined(separator: ", ") + ")"
    }

    static func arguments(_ r: JobRun) -> StatementArguments { StatementArguments(values(r)) }

    /// The values for `v10Columns`.
    static func argumentsv10(_ r: JobRun) -> StatementArguments { StatementArguments(values(r).dropLast()) }

    private static func values(_ r: JobRun) -> [(any DatabaseValueConvertible)?] {
        [
            r.jobId, r.run, r.user, r.account, r.partition, r.gpus, r.gpuModel, nodesText(r.nodes), r.submitMillis,
            r.startMillis, r.endMillis, r.releasedMillis, r.outcome.rawValue, r.exitCode, r.signal, r.reason,
            r.cpuSeconds, r.peakMemoryBytes.map { Int64(clamping: $0) },
            r.gpuUsage.flatMap { try? String(decoding: JSONEncoder().encode($0), as: UTF8.self) },
        ]
    }

    /// ",a,b,": how `nodes` is stored.
    static func nodesText(_ nodes: [String]) -> String { "," + nodes.joined(separator: ",") + "," }

    static func run(_ row: Row) throws -> JobRun {
        let id: Int64 = try row.decode(forColumn: "job_id")
        func column<T: DatabaseValueConvertible>(_ name: String, as _: T.Type = T.self) throws -> T {
            do { return try row.decode(forColumn: name) } catch {
                throw StateStoreError(.corrupt, "state store: a run of job \(id) has an unreadable \(name): \(error)")
            }
        }
        let outcomeText: String = try column("outcome")
        guard let outcome = JobRun.Outcome(rawValue: outcomeText) else {
            throw StateStoreError(.corrupt, "state store: a run of job \(id) has an unknown outcome '\(outcomeText)'")
        }
        let nodes: String = try column("nodes")
        var gpuUsage: [GPUUsage]?
        if row.hasColumn("gpu_usage"), let text: String = try column("gpu_usage") {
            do { gpuUsage = try JSONDecoder().decode([GPUUsage].self, from: Data(text.utf8)) } catch {
                throw StateStoreError(.corrupt, "state store: a run of job \(id) has an unreadable gpu_usage: \(error)")
            }
        }
        var run = JobRun(
            jobId: id, run: try column("run"), user: try column("user"), account: try column("account"),
            partition: try column("partition"), gpus: try column("gpus"), gpuModel: try column("gpu_model"),
            nodes: nodes.split(separator: ",").map(String.init), submitMillis: try column("submit_ms"),
            startMillis: try column("start_ms"), endMillis: try column("end_ms"),
            releasedMillis: try column("released_ms"), outcome: outcome, exitCode: try column("exit_code"),
            signal: try column("signal"), reason: try column("reason"), cpuSeconds: try column("cpu_seconds"),
            peakMemoryBytes: try column("peak_memory_bytes", as: Int64?.self).map { UInt64(max(0, $0)) })
        run.gpuUsage = gpuUsage
        return run
    }

    /// The run recorded for a job that ended before runs were recorded (its last run, from its row); nil
    /// for a job that never started.
    static func lastRun(of job: Job) -> JobRun? {
        guard job.state.isFinal, let start = job.startMillis, let end = job.endMillis, let a = job.allocation,
            let outcome = JobRun.Outcome(rawValue: job.state.rawValue)
        else { return nil }
        return JobRun(
            jobId: job.id, run: job.requeueCount, user: job.user, account: job.account, partition: job.partition,
            gpus: a.nodes.reduce(0) { $0 + $1.gpus.count }, gpuModel: a.gpuModel, nodes: a.nodes.map(\.node),
            submitMillis: job.submitMillis, startMillis: start, endMillis: max(end, start),
            releasedMillis: job.releasedMillis, outcome: outcome, exitCode: job.exitCode, signal: job.signal,
            reason: job.endReason, cpuSeconds: job.cpuSeconds, peakMemoryBytes: job.peakMemoryBytes)
    }
}
