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
            RASPORED_JOB_ID does), --node NAME (which of the job's nodes; default all of them, the first for \
            --pty). --ntasks-per-node, -n, --gpus-per-task and -c start that many tasks on each node, each \
            bound to its own cores (and GPUs), with SLURM_PROCID, RANK, LOCAL_RANK…; in a job, its own task \
            options are the default. Ctrl-C sends \
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
        let environment = ProcessInfo.processInfo.environment
        let (options, _, submit) = try Self.submitLine(a.rest)
        if let jobId = a.jobId ?? environment["RASPORED_JOB_ID"].flatMap({ Int64($0) }) {
            // The job's layout is only this job's: --jobid from elsewhere takes none from the environment.
            let own = a.jobId == nil || environment["RASPORED_JOB_ID"] == String(jobId)
            let request = try StepRequest.local(a.command, pty: a.pty, nodes: a.nodes, inJob: own)
            var jobEnvironment = own ? environment : [:]
            if !own, options.nodes != nil || options.ntasks != nil {
                // From outside the job its nodes are the controller's to say.
                let view: JobView = try await submit.connection.client().get("/v1/jobs/\(jobId)")
                jobEnvironment["RASPORED_NODELIST"] = (view.allocation?.nodes.map(\.node) ?? []).joined(separator: ",")
            }
            let step = try Self.inJob(request, options: options, environment: jobEnvironment)
            let status = try await StepEndpoint.resolve(connection: submit.connection, jobId: jobId)
                .run(jobId: jobId, step)
            if status != 0 { throw CommandFailed(status: status) }
            return
        }
        let request = try StepRequest.local(a.command, pty: a.pty, nodes: a.nodes, inJob: false)
        // Outside an allocation, the nodes a step names are the new allocation's (srun -w).
        let job = try await AllocationJob.submit(
            options: a.rest + a.nodelistOption, name: URL(fileURLWithPath: program).lastPathComponent)
        let status: Int32
        do {
            let view = try await Interruptible.run { try await job.waitUntilRunning() }
            let endpoint = StepEndpoint(base: job.client.base, token: job.client.token, tls: job.client.tls)
            let nodes = view.allocation?.nodes.count ?? 1
            status = try await endpoint.run(
                jobId: job.id, Self.inOwnAllocation(request, options: options, nodes: nodes))
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

    /// The step `request` becomes in a running job: its nodes and tasks from its options (`-N`, `-n`,
    /// `--ntasks-per-node`, `--gpus-per-task`, `-c`), else the job's (`RASPORED_NODELIST`, and its task
    /// layout: `RASPORED_TASKS_PER_NODE`, `RASPORED_GPUS_PER_TASK`, `RASPORED_CORES_PER_TASK`), as Slurm's
    /// srun takes the job's. A step runs the same number of tasks on each of its nodes: `-N K` is the job's
    /// first K nodes; `-n N` is N ÷ nodes tasks on each, or one on each of the first N nodes when N is
    /// smaller. What cannot be honoured is refused with a `CLIError` saying why.
    static func inJob(_ request: StepRequest, options o: JobOptions, environment: [String: String]) throws
        -> StepRequest
    {
        var step = request
        let jobNodes = environment["RASPORED_NODELIST"].map { $0.split(separator: ",").map(String.init) } ?? []
        let count = jobNodes.isEmpty ? environment["SLURM_NNODES"].flatMap { Int($0) } : jobNodes.count
        func first(_ k: Int, _ option: String) throws -> [String]? {
            if k == count { return nil }
            guard let count, k < count, jobNodes.count == count else {
                throw CLIError(
                    "\(option) \(k): the job has \(count.map(String.init) ?? "an unknown number of") node(s)")
            }
            return Array(jobNodes.prefix(k))
        }
        if let k = o.nodes {
            if let named = step.nodes {
                guard named.count == k else {
                    throw CLIError("-N/--nodes \(k), but --node/-w names \(named.count) node(s)")
                }
            } else {
                step.nodes = try first(k, "-N/--nodes")
            }
        }
        var perNode = o.ntasksPerNode
        if let n = o.ntasks {
            guard let nodes = step.nodes?.count ?? count, nodes > 0 else {
                throw CLIError("-n/--ntasks \(n): the job's node count is not known here; name the nodes with --node")
            }
            if let p = perNode {
                guard n == p * nodes else {
                    throw CLIError("-n/--ntasks \(n) is not --ntasks-per-node \(p) × \(nodes) node(s)")
                }
            } else if n < nodes, o.nodes == nil, step.nodes == nil {
                step.nodes = try first(n, "-n/--ntasks")
                perNode = 1
            } else if n % nodes == 0 {
                perNode = n / nodes
            } else {
                throw CLIError(
                    "-n/--ntasks \(n) over \(nodes) node(s): a step runs as many tasks on each of its nodes; give "
                        + "a multiple of \(nodes), or name the nodes with -w")
            }
        }
        func number(_ name: String) -> Int? { environment[name].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } }
        // A terminal is one task: the job's layout is not its default.
        let defaults = !step.pty
        step.tasksPerNode = perNode ?? (defaults ? number("RASPORED_TASKS_PER_NODE") : nil)
        step.gpusPerTask = o.gpusPerTask ?? (defaults ? number("RASPORED_GPUS_PER_TASK") : nil)
        step.coresPerTask = o.cpusPerTask ?? (defaults ? number("RASPORED_CORES_PER_TASK") : nil)
        if let why = step.problem { throw CLIError(why) }
        return step
    }

    /// The step `request` becomes in the allocation made for it from `options` (on `nodes` nodes): the job's
    /// task layout on every node.
    static func inOwnAllocation(_ request: StepRequest, options o: JobOptions, nodes: Int) -> StepRequest {
        var step = request
        if let layout = o.taskLayout {
            step.tasksPerNode = layout.tasksPerNode(nodes: nodes)
            step.gpusPerTask = layout.gpusPerTask
            step.coresPerTask = layout.coresPerTask
        }
        return step
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
