import ArgumentParser
import Foundation
import RasporedAPI

/// `schedctl exec JOB [--pty] [--node NAME] -- COMMAND`: a step in a running job of one's own (Slurm's
/// `srun --jobid JOB --overlap`, `kubectl exec`).
struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command in a running job of yours, as a step beside what it runs.",
        discussion: """
            schedctl exec 42 -- nvidia-smi
            schedctl exec 42 --pty -- htop
            --node NAME picks one of the job's nodes (default: its first). Only the job's owner may. Exit \
            status: the command's.
            """)

    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp("JOB, then --pty, --node, connection options; then -- and a command.", valueName: "job"))
    var arguments: [String] = []

    func run() async throws {
        let a = try StepArguments(arguments, positionalJob: true)
        if a.help { throw CleanExit.helpRequest(Self.self) }
        guard let jobId = a.jobId else { throw CLIError("which job? schedctl exec JOB -- COMMAND") }
        guard let program = a.command.first, !program.isEmpty else {
            throw CLIError("no command: schedctl exec JOB -- COMMAND")
        }
        let status = try await Self.step(
            jobId: jobId, options: a.rest, try StepRequest.local(a.command, pty: a.pty, nodes: a.nodes, inJob: false))
        if status != 0 { throw CommandFailed(status: status) }
    }

    /// Runs `request` in job `jobId` with the connection `options` name; the step's status.
    static func step(jobId: Int64, options: [String], _ request: StepRequest) async throws -> Int32 {
        let connection: ConnectionOptions
        do { connection = try ConnectionOptions.parse(options) } catch {
            throw CLIError(ConnectionOptions.message(for: error))
        }
        return try await StepEndpoint.resolve(connection: connection, jobId: jobId).run(jobId: jobId, request)
    }
}

/// `schedctl attach JOB [--node NAME]`: an interactive shell (a pty step running the job's `$SHELL`) in a
/// running job of one's own.
struct AttachCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Open an interactive shell in a running job of yours.",
        discussion: """
            schedctl attach 42        (the job's $SHELL, or /bin/sh, on its first node, in its cgroup and binding)
            --node NAME picks another of its nodes. The shell is a step of the job; exiting it leaves the job \
            running. Only the job's owner may.
            """)

    /// What the step runs: the job's own shell.
    static let shell = ["/bin/sh", "-c", "exec \"${SHELL:-/bin/sh}\""]

    @Argument(
        parsing: .captureForPassthrough, help: ArgumentHelp("JOB, then --node, connection options.", valueName: "job"))
    var arguments: [String] = []

    func run() async throws {
        let a = try StepArguments(arguments, positionalJob: true)
        if a.help { throw CleanExit.helpRequest(Self.self) }
        guard let jobId = a.jobId else { throw CLIError("which job? schedctl attach JOB") }
        guard a.command.isEmpty else { throw CLIError("attach opens a shell; to run a command use schedctl exec") }
        let status = try await ExecCommand.step(
            jobId: jobId, options: a.rest, try StepRequest.local(Self.shell, pty: true, nodes: a.nodes, inJob: false))
        if status != 0 { throw CommandFailed(status: status) }
    }
}
