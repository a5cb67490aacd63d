import Foundation
import RasporedAPI

/// The job `schedctl run` (outside an allocation) and `schedctl alloc` hold an allocation with: submitted
/// with `schedctl submit`'s options and `holdCommand` as its own command, so it does nothing but keep its
/// resources until it is cancelled (when the step or the shell ends) or reaches its time limit.
struct AllocationJob: Sendable {
    /// What the allocation job runs (on its first node; the others hold their share anyway).
    static let holdCommand = RunAssignment.holdCommand

    let client: ControllerClient
    let id: Int64

    /// Submits the allocation job described by `options` (submit's options, connection included) and
    /// returns it with the client those options name.
    static func submit(options: [String], name: String) async throws -> AllocationJob {
        let (request, messages, submit) = try described(
            options: options, name: name, cwd: FileManager.default.currentDirectoryPath)
        for m in messages { printStderr(m) }
        let client = try submit.connection.client()
        let job: JobView = try await client.post("/v1/jobs", body: request)
        return AllocationJob(client: client, id: job.id)
    }

    /// The allocation job's submit body, its messages, and submit's command line as given (its connection
    /// read wherever it stood among the job options). Named `name` unless the options name it; its output
    /// goes nowhere unless they say where (it only holds the allocation; its steps' output is streamed),
    /// so it runs from a directory its user may not write.
    static func described(options: [String], name: String, cwd: String) throws -> (
        SubmitRequest, [String], SubmitCommand
    ) {
        let submit: SubmitCommand
        do { submit = try SubmitCommand.parse(options + ["--"] + holdCommand) } catch {
            throw CLIError(SubmitCommand.message(for: error))
        }
        var (request, messages) = try submit.submission(cwd: cwd)
        if request.name == nil { request.name = name }
        if request.output == nil { request.output = "/dev/null" }
        return (request, messages, try submit.commandLine().command)
    }

    /// Waits until the job runs; says once on stderr that it is waiting, and when it has its resources.
    /// Throws when it ends first.
    func waitUntilRunning(quiet: Bool = false) async throws -> JobView {
        var said = false
        while true {
            let job: JobView = try await client.get("/v1/jobs/\(id)")
            switch job.state {
            case .running:
                if said && !quiet { printStderr("schedctl: job \(id) has been allocated resources") }
                return job
            case .pending:
                if !said && !quiet {
                    printStderr(
                        "schedctl: job \(id) queued and waiting for resources (\(job.pendingReason ?? "pending"))")
                    said = true
                }
                try await Task.sleep(for: .milliseconds(250))
            default:
                throw CLIError(
                    "job \(id) ended before it ran: \(job.state.rawValue)\(job.endReason.map { ", \($0)" } ?? "")",
                    status: ExitStatus.refused)
            }
        }
    }

    /// Cancels the job (its allocation ends); errors are only reported.
    func cancel() async {
        do { _ = try await client.post("/v1/jobs/\(id)/cancel", as: JobView.self) } catch {
            printStderr("schedctl: warning: could not cancel job \(id): \(error)")
        }
    }
}
