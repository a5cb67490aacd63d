import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// `schedctl cancel JOB...`: one line per job or array; non-zero when any was refused.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel jobs: a pending one at once, a running one once its processes are gone.",
        discussion: """
            An array's id cancels every task of the array; 42_7 cancels task 7 alone.
            With --signal, the running jobs get that signal instead and are not cancelled (scancel --signal): \
            schedctl cancel --signal USR1 42 asks a job to checkpoint.
            """)

    @OptionGroup var targets: JobTargets
    @Option(
        name: [.customShort("s"), .long],
        help: "Send this signal (USR1, SIGTERM, 10…) to the running jobs instead of cancelling them.")
    var signal: String?
    @Flag(name: [.customShort("b"), .long], help: "With --signal: only the batch script's process, not its children.")
    var batch = false
    func validate() throws {
        if batch && signal == nil { throw ValidationError("--batch goes with --signal") }
        _ = try signalRequest()
    }

    /// The signal asked for, or nil for a cancel.
    func signalRequest() throws -> SignalRequest? {
        guard let signal else { return nil }
        do { return SignalRequest(signal: try SignalName.number(signal), batchOnly: batch) } catch {
            throw ValidationError("--signal: \(error)")
        }
    }

    func run() async throws {
        if let s = try signalRequest() {
            let body = try JSONEncoder().encode(s)
            try await JobAction.run(targets, path: "signal", body: body) {
                "Sent SIG\(SignalName.name(s.signal)) to \($0)"
            }
            return
        }
        let client = try targets.connection.client()
        var worst = ExitStatus.success
        for ref in targets.jobs {
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
