import Foundation
import GRDB
import Scheduler

/// How a `Job` maps to a row of `jobs`: plain columns, with the request, allocation, stop request, command,
/// array task and dependency as JSON text (the array's id and task index also as columns, to look tasks up).
enum JobRow {
    static let columns = """
        name, user, account, partition, request, time_limit, state, submit_time, start_time, end_time, \
        exit_code, signal, allocation, pending_reason, end_reason, stop_request, requeue_count, no_requeue, \
        command, workdir, output, array_job_id, array_task_id, array, dependency
        """

    /// The values for `columns`, in order.
    static func arguments(_ j: Job) throws -> StatementArguments {
        [
            j.name, j.user, j.account, j.partition, try json(j.request), j.timeLimit.seconds, j.state.rawValue,
            j.submitTime, j.startTime, j.endTime, j.exitCode, j.signal, try j.allocation.map(json),
            j.pendingReason, j.endReason, try j.stopRequest.map(json), j.requeueCount, j.noRequeue,
            try json(j.command), j.workdir, j.output, j.array?.arrayJobId, j.array?.taskId, try j.array.map(json),
            try j.dependency.map(json),
        ]
    }

    static func job(_ row: Row) throws -> Job {
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
        return Job(
            id: id, name: try column("name"), user: try column("user"), account: try column("account"),
            partition: try column("partition"), request: request,
            timeLimit: TimeSpan(seconds: try column("time_limit")), state: state,
            submitTime: try column("submit_time"), startTime: try column("start_time"),
            endTime: try column("end_time"), exitCode: try column("exit_code"), signal: try column("signal"),
            allocation: try decoded("allocation", as: AllocationView.self),
            pendingReason: try column("pending_reason"), endReason: try column("end_reason"),
            stopRequest: try decoded("stop_request", as: JobStopRequest.self),
            requeueCount: try column("requeue_count"), noRequeue: try column("no_requeue"),
            command: command, workdir: try column("workdir"), output: try column("output"),
            array: try decoded("array", as: ArrayTask.self),
            dependency: try decoded("dependency", as: JobDependency.self))
    }

    private static func json<T: Encodable>(_ value: T) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try e.encode(value), as: UTF8.self)
    }
}
