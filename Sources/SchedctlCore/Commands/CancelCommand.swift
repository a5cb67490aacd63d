import ArgumentParser
import Foundation
import RasporedAPI

/// `schedctl cancel JOB...`: one line per job; non-zero when any was refused.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel jobs: a pending one at once, a running one once its processes are gone.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Job ids.") var jobs: [Int64]

    func validate() throws {
        if jobs.isEmpty { throw ValidationError("give at least one job id") }
    }

    func run() async throws {
        let client = try connection.client()
        var worst = ExitStatus.success
        for id in jobs {
            do {
                let job: JobView = try await client.post("/v1/jobs/\(id)/cancel")
                print(Self.line(job))
            } catch let e as ControllerError {
                if case .unreachable = e { throw e }
                printError(e.description)
                worst = max(worst, e.exitStatus)
            }
        }
        if worst != ExitStatus.success { throw CommandFailed(status: worst) }
    }

    static func line(_ job: JobView) -> String {
        if job.state == .cancelled { return "Cancelled job \(job.id)" }
        if job.stopRequested != nil {
            return "Cancel requested for job \(job.id) (running on \(job.allocation.map { $0.nodes.map(\.node).joined(separator: ",") } ?? "-")); it stops once its processes are gone"
        }
        return "Job \(job.id) is \(job.state)"
    }
}
