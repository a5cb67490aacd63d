import ArgumentParser
import Foundation
import RasporedAPI

/// `schedctl run [OPTIONS] [--pty] -- COMMAND` (and `srun`): a step. Inside an allocation (`RASPORED_JOB_ID`
/// set, as in a batch job or `schedctl alloc`'s shell, or `--jobid`) it runs in that job; otherwise it
/// first gets an allocation of its own with `schedctl submit`'s options, and gives it back when the step
/// ends. Exits with the step's status (128 + a signal's number).
struct RunStepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command as a step, streaming its output: in this allocation, or in a new one.",
        discussion: """
            schedctl run --gpus 1 --time 1h -- nvidia-smi          (waits for an allocation, runs, ends it)
            schedctl run --pty --gpus 1 -- bash                      (an interactive shell on the node)
            srun hostname                                            (in a batch job or schedctl alloc: a step in it)
            Takes schedctl submit's options, and --pty (a terminal), --jobid N (a step in running job N, as \
            RASPORED_JOB_ID does), --node NAME (which of the job's nodes; default its first). Ctrl-C sends \
            SIGINT to the step (twice within a second: SIGKILL); with --pty every key goes to the step's \
            terminal. Exit status: the step's, or 128 + its signal.
            """)

    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp("Submit's options, --pty, --jobid, --node; then -- and a command.", valueName: "options"))
    var arguments: [String] = []

    func run() async throws {
        let a = try StepArguments(arguments)
        if a.help { throw CleanExit.helpRequest(Self.self) }
        guard let program = a.command.first, !program.isEmpty else {
            throw CLIError("no command: schedctl run [options] -- COMMAND")
        }
        let request = StepRequest.local(a.command, pty: a.pty, nodes: a.nodes)
        let environment = ProcessInfo.processInfo.environment
        if let jobId = a.jobId ?? environment["RASPORED_JOB_ID"].flatMap({ Int64($0) }) {
            let (options, _, submit) = try Self.submitLine(a.rest)
            if let why = Self.stepProblem(options, named: a.nodes, jobNodes: environment["SLURM_NNODES"]) {
                throw CLIError(why)
            }
            let status = try await StepEndpoint.resolve(connection: submit.connection, jobId: jobId)
                .run(jobId: jobId, request)
            if status != 0 { throw CommandFailed(status: status) }
            return
        }
        // Outside an allocation, the nodes a step names are the new allocation's (srun -w).
        let job = try await AllocationJob.submit(
            options: a.rest + a.nodelistOption, name: URL(fileURLWithPath: program).lastPathComponent)
        let status: Int32
        do {
            try await Interruptible.run { _ = try await job.waitUntilRunning() }
            let endpoint = StepEndpoint(base: job.client.base, token: job.client.token, tls: job.client.tls)
            status = try await endpoint.run(jobId: job.id, request)
        } catch {
            await job.cancel()
            throw error
        }
        await job.cancel()
        if status != 0 { throw CommandFailed(status: status) }
    }

    /// `schedctl submit`'s options as given: the job options, and the command (for the connection it names,
    /// wherever among the job options).
    static func submitLine(_ options: [String]) throws -> (
        options: JobOptions, notes: [String], command: SubmitCommand
    ) {
        let submit: SubmitCommand
        do { submit = try SubmitCommand.parse(options + ["--", "true"]) } catch {
            throw CLIError(SubmitCommand.message(for: error))
        }
        return try submit.commandLine()
    }

    /// Why a step in a running job cannot do what its options ask, or nil. A step runs one task on each of
    /// its nodes (every node of the job, or those `--node` names), so options that ask for other tasks or
    /// nodes are refused rather than ignored: `-n` other than the nodes' count, more than one task per node,
    /// GPUs per task, a node count (`-N`) other than the job's. `jobNodes` is the job's node count as its
    /// environment gives it (`SLURM_NNODES`).
    static func stepProblem(_ o: JobOptions, named: [String]?, jobNodes: String?) -> String? {
        let nodes = named?.count ?? jobNodes.flatMap { Int($0) }
        if let n = o.nodes, named == nil, n != nodes {
            return "-N/--nodes \(n): a step runs on every node of its job (\(nodes.map(String.init) ?? "?")) "
                + "unless --node names some: name them with --node"
        }
        if let per = o.ntasksPerNode, per != 1 {
            return "--ntasks-per-node \(per): a step runs one task on each of its nodes; several per node, each "
                + "with GPUs of its own, are not supported yet (start them from the step: torchrun "
                + "--nproc-per-node \(per) …)"
        }
        if let n = o.ntasks, n != (o.nodes ?? nodes) {
            return "-n/--ntasks \(n): a step runs one task on each of its nodes "
                + "(\(nodes.map(String.init) ?? "its nodes' count")); several per node are not supported yet"
        }
        if o.gpusPerTask != nil {
            return "--gpus-per-task: a step's task sees every GPU of the job on its node; GPUs per task are not "
                + "supported yet"
        }
        return nil
    }
}

/// Runs work that Ctrl-C (SIGINT), SIGTERM or SIGHUP may interrupt: the work is cancelled and a
/// `CommandFailed(130)` thrown, so the caller can clean up (cancel the allocation it was waiting for).
enum Interruptible {
    static func run<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await work() }
        let numbers = [SIGINT, SIGTERM, SIGHUP]
        let sources = numbers.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { task.cancel() }
            source.resume()
            return source
        }
        defer {
            for source in sources { source.cancel() }
            for number in numbers { signal(number, SIG_DFL) }
        }
        do { return try await task.value } catch is CancellationError {
            printStderr("schedctl: interrupted")
            throw CommandFailed(status: 130)
        }
    }
}
