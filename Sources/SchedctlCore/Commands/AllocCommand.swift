import ArgumentParser
import Foundation
import Scheduler

/// `schedctl alloc [OPTIONS] [-- COMMAND]` (Slurm's salloc): gets an allocation with `schedctl submit`'s
/// options, runs a shell here (or COMMAND) with `RASPORED_JOB_ID` and Slurm's `SLURM_JOB_ID` set, so that
/// `schedctl run` and `srun` in it start steps in the allocation, and gives the allocation back when the
/// shell exits. Exits with the shell's status.
struct AllocCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alloc",
        abstract: "Hold an allocation and open a shell here whose schedctl run and srun start steps in it.",
        discussion: """
            schedctl alloc --gpus 2 --time 2h          (then: srun nvidia-smi; srun --pty bash; exit)
            schedctl alloc --gpus 1 -- ./experiments.sh
            Takes schedctl submit's options. The shell is $SHELL (or /bin/sh) on this machine; the allocation \
            ends when it exits, or at the time limit. Exit status: the shell's.
            """)

    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp(
            "Submit's options; then, optionally, -- and a command instead of a shell.", valueName: "options"))
    var arguments: [String] = []

    func run() async throws {
        let a = try StepArguments(arguments)
        if a.help { throw CleanExit.helpRequest(Self.self) }
        if a.pty || a.jobId != nil { throw CLIError("alloc takes schedctl submit's options only") }
        var environment = ProcessInfo.processInfo.environment
        let command =
            a.command.isEmpty ? [environment["SHELL"].flatMap { $0.isEmpty ? nil : $0 } ?? "/bin/sh"] : a.command
        let layout = try RunStepCommand.submitLine(a.rest).options.taskLayout
        let job = try await AllocationJob.submit(options: a.rest + a.nodelistOption, name: "interactive")
        let status: Int32
        do {
            let view = try await Interruptible.run { try await job.waitUntilRunning() }
            let nodes = view.allocation?.nodes.map(\.node) ?? []
            printStderr("schedctl: granted job allocation \(job.id) on \(nodes.joined(separator: ","))")
            environment["RASPORED_JOB_ID"] = String(job.id)
            environment["SLURM_JOB_ID"] = String(job.id)
            environment["RASPORED_NODELIST"] = nodes.joined(separator: ",")
            environment["SLURM_JOB_NODELIST"] = HostList.compact(nodes)
            environment["SLURM_NNODES"] = String(nodes.count)
            // srun in the shell starts the allocation's tasks, as in a batch job.
            for (k, v) in layout?.stepDefaults(nodes: nodes.count) ?? [:] { environment[k] = v }
            status = try await LocalShell.run(command, environment: environment)
        } catch {
            await job.cancel()
            throw error
        }
        await job.cancel()
        printStderr("schedctl: relinquishing job allocation \(job.id)")
        if status != 0 { throw CommandFailed(status: status) }
    }
}
