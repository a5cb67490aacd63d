import Foundation
import GRDB
import Scheduler

/// How a `Job` maps to a row of `jobs`: plain columns, with the request, allocation, stop request, command,
/// array task, dependency and controls as JSON text (the array's id and task index also as columns, to look tasks up).
/// The environment is not a column: it is written once per submission into `job_environments`. Times are read
/// from the millisecond columns (`submit_ms`, ...); the seconds columns are written as their floors.
enum JobRow {
    static let columns = """
        name, user, account, partition, request, time_limit, state, submit_time, start_time, end_time, \
        exit_code, signal, allocation, pending_reason, end_reason, stop_request, requeue_count, no_requeue, \
        command, workdir, output, array_job_id, array_task_id, array, dependency, cpu_seconds, peak_memory_bytes, \
        submit_ms, start_ms, end_ms, released_ms, controls
        """

    /// The values for `columns`, in order.
    static func arguments(_ j: Job) throws -> StatementArguments {
        [
            j.name, j.user, j.account, j.partition, try json(j.request), j.timeLimit.seconds, j.state.rawValue,
            j.submitTime, j.startTime, j.endTime, j.exitCode, j.signal, try j.allocation.map(json),
            j.pendingReason, j.endReason, try j.stopRequest.map(json), j.requeueCount, j.noRequeue,
            try json(j.command), j.workdir, j.output, j.array?.arrayJobId, j.array?.taskId, try j.array.map(json),
            try j.dependency.map(json), j.cpuSeconds, j.peakMemoryBytes.map { Int64(clamping: $0) },
            j.submitMillis, j.startMillis, j.endMillis, j.releasedMillis,
            j.controls == JobControls() ? nil : try json(j.controls),
        ]
    }

    /// A query's start that reads each job without its environment (`Job.environment` stays nil).
    static let selectPlain = "SELECT jobs.* FROM jobs"

    /// A query's start that reads each job with its environment (`job_environments`: the job's own row, or
    /// its array's); `job` then sets `Job.environment` (empty when there is none).
    static let selectWithEnvironment = """
        SELECT jobs.*, e.job_id AS environment_id, e.variables AS environment FROM jobs \
        LEFT JOIN job_environments e ON e.job_id = coalesce(jobs.array_job_id, jobs.id)
        """

    /// The job in `row`, with its environment when the query read it (`selectWithEnvironment`).
    static func job(_ row: Row) throws -> Job {
        var shared: [Int64: [String: String]] = [:]
        return try job(row, shared: &shared)
    }

    /// The job in `row`; an environment already decoded for an earlier row (an array's tasks share one) is
    /// taken from `shared`, so the tasks share one copy in memory too.
    static func job(_ row: Row, shared: inout [Int64: [String: String]]) throws -> Job {
        var job = try plainJob(row)
        guard row.hasColumn("environment") else { return job }
        guard let key: Int64 = row["environment_id"] else {
            job.environment = [:]
            return job
        }
        if let known = shared[key] {
            job.environment = known
            return job
        }
        let text: String = row["environment"]
        do {
            let variables = try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
            shared[key] = variables
            job.environment = variables
        } catch {
            throw StateStoreError(.corrupt, "state store: job \(job.id) has an unreadable environment: \(error)")
        }
        return job
    }

    /// The environment row for a submission's first job (its id is the array's, for an array); nil when
    /// the submission exported nothing.
    static func environmentArguments(_ j: Job) throws -> StatementArguments? {
        guard let variables = j.environment, !variables.isEmpty else { return nil }
        return [j.id, try json(variables)]
    }

    static let insertEnvironmentSQL = "INSERT INTO job_environments (job_id, variables) VALUES (?, ?)"

    private static func plainJob(_ row: Row) throws -> Job {
        let id: Int64 = try row.decode(forColumn: "id")
        func column<T: DatabaseValueConvertible>(_ name: String, as _: T.Type = T.self) throws -> T {
            do { return try row.decode(forColumn: name) } catch {
                throw StateStoreError(.corrupt, "state store: job \(id) has an unreadable \(name): \(error)")
            }
        }
        func decoded<T: Decodable>(_ name: String, as type: T.Type) throws -> T? {
            guard let text: String = try column(name) else { return nil }
            do { return try JSONDecoder().decode(type, from: Data(text.utf8)) } catch {
                throw StateStoreError(.corrupt, "state store: job \(id) has an unreadable \(name) '\(text)': \(error)")
            }
        }
        let stateText: String = try column("state")
        guard let state = JobState(rawValue: stateText) else {
            throw StateStoreError(.corrupt, "state store: job \(id) has an unknown state '\(stateText)'")
        }
        guard let request = try decoded("request", as: ResourceRequest.self),
            let command = try decoded("command", as: [String].self)
        else { throw StateStoreError(.corrupt, "state store: job \(id) has no request or command") }
        var job = Job(
            id: id, name: try column("name"), user: try column("user"), account: try column("account"),
            partition: try column("partition"), request: request,
            timeLimit: TimeSpan(seconds: try column("time_limit")), state: state,
            submitted: Timestamp(millis: try column("submit_ms")),
            started: try column("start_ms", as: Int64?.self).map(Timestamp.init(millis:)),
            ended: try column("end_ms", as: Int64?.self).map(Timestamp.init(millis:)),
            released: try column("released_ms", as: Int64?.self).map(Timestamp.init(millis:)),
            exitCode: try column("exit_code"), signal: try column("signal"),
            allocation: try decoded("allocation", as: AllocationView.self),
            pendingReason: try column("pending_reason"), endReason: try column("end_reason"),
            stopRequest: try decoded("stop_request", as: JobStopRequest.self),
            requeueCount: try column("requeue_count"), noRequeue: try column("no_requeue"),
            command: command, workdir: try column("workdir"), output: try column("output"),
            array: try decoded("array", as: ArrayTask.self),
            dependency: try decoded("dependency", as: JobDependency.self))
        job.cpuSeconds = try column("cpu_seconds")
        job.peakMemoryBytes = try column("peak_memory_bytes", as: Int64?.self).map { UInt64(max(0, $0)) }
        job.controls = try decoded("controls", as: JobControls.self) ?? JobControls()
        return job
    }

    private static func json<T: Encodable>(_ value: T) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try e.encode(value), as: UTF8.self)
    }
}
