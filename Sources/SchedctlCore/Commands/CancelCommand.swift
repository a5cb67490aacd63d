import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// `schedctl cancel JOB...`: one line per job or array; non-zero when any was refused.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel jobs: a pending one at once, a running one once its processes are gone.",
        discussion: "An array's id cancels every task of the array; 42_7 cancels task 7 alone.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Job ids, array ids, or array tasks (42_7).", transform: parseJobReference)
    var jobs: [JobReference]

    func validate() throws {
        if jobs.isEmpty { throw ValidationError("give at least one job id") }
    }

    func run() async throws {
        let client = try connection.client()
        var worst = ExitStatus.success
        for ref in jobs {
            do {
                let reply = try client.expectOK(try await client.send(.post, "/v1/jobs/\(ref)/cancel"))
                // An array's id answers with every task of the array; anything else with the one job.
                if let list = try? JSONDecoder().decode(JobList.self, from: Data(reply.body)) {
                    print(Self.line(array: ref, list.jobs))
                } else {
                    print(Self.line(try client.decode(reply, as: JobView.self)))
                }
            } catch let e as ControllerError {
                if case .unreachable = e { throw e }
                printError(e.description)
                worst = max(worst, e.exitStatus)
            }
        }
        if worst != ExitStatus.success { throw CommandFailed(status: worst) }
    }

    static func line(_ job: JobView) -> String {
        let id = JobText.id(job)
        if job.state == .cancelled { return "Cancelled job \(id)" }
        if job.stopRequested != nil {
            return
                "Cancel requested for job \(id) (running on \(job.allocation.map { $0.nodes.map(\.node).joined(separator: ",") } ?? "-")); it stops once its processes are gone"
        }
        return "Job \(id) is \(job.state)"
    }

    /// "Cancelled array 42: 92 tasks cancelled; cancel requested for 8 running tasks, which stop once their
    /// processes are gone".
    static func line(array ref: JobReference, _ tasks: [JobView]) -> String {
        let cancelled = tasks.filter { $0.state == .cancelled }.count
        let stopping = tasks.filter { $0.state == .running && $0.stopRequested != nil }.count
        let other = tasks.count - cancelled - stopping
        func n(_ k: Int) -> String { "\(k) task\(k == 1 ? "" : "s")" }
        var out = "Cancelled array \(ref): \(n(cancelled)) cancelled"
        if stopping > 0 {
            out +=
                "; cancel requested for \(stopping) running task\(stopping == 1 ? "" : "s"), which stop once their processes are gone"
        }
        if other > 0 { out += "; \(n(other)) had already ended" }
        return out
    }
}
