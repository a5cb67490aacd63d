import CAgentShims
import Foundation
import Glibc
import NIOCore
import NIOPosix
import RasporedAPI
import Scheduler
import Subprocess
import Synchronization
import SystemPackage

/// A step's processes on this node, one per task, started through `raspored-exec` inside a running run's
/// allocation: the run's cgroup, memory binding, Unix account and working directory, and the environment
/// `srun` ran in with this node's scheduler variables over it (`JobEnvironment.stepEnvironment`; the run's
/// own, read from `/proc/PID/environ`, when the step brings none), each task bound to its own share of the run's cores (and GPUs,
/// when the step asks for GPUs per task; `StepRequest.shares`), with `RASPORED_STEP_ID`, `SLURM_STEP_ID`,
/// `SLURM_JOB_ID`, the step's nodes (`SLURM_NODEID`: this node's position, `SLURM_STEP_NUM_NODES`,
/// `SLURM_STEP_NODELIST`) and the task's ranks (`taskVariables`) on top.
///
/// With a pseudo-terminal the step is one task, which leads a session of its own whose controlling terminal
/// is the pty's slave (owned by the step's user, mode 0620); the agent holds the master. Without one, the
/// tasks share the step's stdout and stderr pipes, and the first task (only) reads its stdin pipe, as Slurm's
/// tasks do by default. Each task leads its own process group, which `signal` reaches.
final class StepProcess: Sendable {
    /// The groups of the tasks still running.
    private let live: LiveGroups
    /// The end of the step on this node: every task's end, reported as the worst (the highest status, as
    /// `srun` exits).
    let status: Task<StepExit, Never>
    /// Where the step's output comes from: the pty's master, or the stdout and stderr pipes.
    private let outputs: [(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, stderr: Bool)]
    /// Where its input goes: the pty's master, or the stdin pipe.
    private let input: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    /// A descriptor of the pty's master for window-size changes; nil for pipes.
    let terminal: Int32?

    private init(
        live: LiveGroups, status: Task<StepExit, Never>,
        outputs: [(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, stderr: Bool)],
        input: NIOAsyncChannel<ByteBuffer, ByteBuffer>, terminal: Int32?
    ) {
        self.live = live
        self.status = status
        self.outputs = outputs
        self.input = input
        self.terminal = terminal
    }

    /// Runs `body` with the output streams (and whether each is stderr) and the input's writer, and closes
    /// them all when it returns.
    func withStreams<R: Sendable>(
        _ body: (
            _ outputs: [(stream: NIOAsyncChannelInboundStream<ByteBuffer>, stderr: Bool)],
            _ input: NIOAsyncChannelOutboundWriter<ByteBuffer>
        ) async throws -> R
    ) async throws -> R {
        if terminal != nil {
            return try await input.executeThenClose { inbound, outbound in try await body([(inbound, false)], outbound)
            }
        }
        return try await outputs[0].channel.executeThenClose { stdout, _ in
            try await outputs[1].channel.executeThenClose { stderr, _ in
                try await input.executeThenClose { _, stdin in try await body([(stdout, false), (stderr, true)], stdin)
                }
            }
        }
    }

    /// Sends `signal` to the process group of every task still running. A task's group is killed when the
    /// task ends and forgotten, so no later signal reaches a group that has since reused its number.
    func signal(_ number: Int32) {
        for group in live.current { kill(-group, number) }
    }

    /// Sets the pty's window size (the step's foreground group gets SIGWINCH).
    func resize(rows: UInt16, cols: UInt16) {
        if let terminal { _ = raspored_set_window_size(terminal, rows, cols) }
    }

    /// Releases the window-size descriptor.
    func close() {
        if let terminal { Glibc.close(terminal) }
    }

    /// Starts `order`'s tasks on `node` in `record`'s allocation, whose CPUs `cores` groups by core (each
    /// core's CPUs, in the node's order); a `LaunchError` when it cannot. The shim of task `l` writes why it
    /// could not start its command to `failureFile` with `.l` appended.
    static func start(
        _ order: StepOrder, on node: String, in record: JobRecord, cores: [[Int]], shim: String, runAs: RunAs,
        failureFile: String, tools: String? = nil
    ) async throws -> StepProcess {
        guard record.state == .running, let runPid = record.pid else {
            throw LaunchError("run \(order.runId) is not running on this node")
        }
        let request = order.tasks
        if let why = request.problem { throw LaunchError(why) }
        guard let shares = request.shares(gpus: record.gpus, cores: cores, node: node) else {
            throw LaunchError(
                request.taskProblem(gpus: record.gpus.count, cores: cores.count, node: node) ?? "cannot share \(node)")
        }
        var account: UnixAccount?
        if runAs == .submitter, let user = record.user {
            guard let found = try UnixAccount.lookup(user) else {
                throw LaunchError("user \(user) has no account here")
            }
            account = found
        }
        var common: [String] = []
        for procs in record.cgroup?.procsFiles ?? [] { common += ["--cgroup", procs] }
        if record.bound ?? false, !record.mems.isEmpty { common += ["--mems", RangeList.compact(record.mems)] }
        if let account, account.uid != geteuid() || account.gid != getegid() {
            common += [
                "--uid", String(account.uid), "--gid", String(account.gid),
                "--groups", account.groups.map(String.init).joined(separator: ","),
            ]
        }
        common += ["--chdir", record.workingDirectory]
        if order.pty { common.append("--ctty") }

        let runEnvironment = Self.environment(of: runPid)
        var base =
            order.environment.map { JobEnvironment.stepEnvironment(client: $0, run: runEnvironment, tools: tools) }
            ?? runEnvironment
        base["RASPORED_STEP_ID"] = String(order.step)
        base["SLURM_STEP_ID"] = String(order.step)
        base["SLURM_JOB_ID"] = String(order.jobId)
        base["SLURM_STEP_NUM_NODES"] = String(order.nodes.count)
        base["SLURM_STEP_NODELIST"] = order.nodes.joined(separator: ",")
        if order.pty { base["TERM"] = order.term ?? base["TERM"] ?? "xterm" }

        var options = PlatformOptions()
        // The tasks' ends of the descriptors (the first task's stdin, stdout and stderr), and the agent's.
        let childIn: Int32, childOut: Int32, childErr: Int32
        var terminal: Int32?
        let outputs: [(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, stderr: Bool)]
        let input: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        if order.pty {
            var master: Int32 = -1, slave: Int32 = -1
            guard raspored_open_pty(&master, &slave, order.rows ?? 0, order.cols ?? 0) == 0 else {
                throw LaunchError("cannot open a pseudo-terminal: \(String(cString: strerror(errno)))")
            }
            if let account {
                _ = fchown(slave, account.uid, account.gid)
                _ = fchmod(slave, 0o620)
            }
            childIn = slave
            childOut = fcntl(slave, F_DUPFD_CLOEXEC, 0)
            childErr = fcntl(slave, F_DUPFD_CLOEXEC, 0)
            terminal = dup(master)
            let channel = try await Self.channel(inputOutput: master)
            outputs = [(channel, false)]
            input = channel
            options.createSession = true
        } else {
            var stdinPipe: [Int32] = [-1, -1], stdoutPipe: [Int32] = [-1, -1], stderrPipe: [Int32] = [-1, -1]
            guard pipe(&stdinPipe) == 0, pipe(&stdoutPipe) == 0, pipe(&stderrPipe) == 0 else {
                throw LaunchError("cannot make pipes: \(String(cString: strerror(errno)))")
            }
            // Only the tasks' copies (dup2'ed onto 0, 1, 2) may cross into them.
            for fd in stdinPipe + stdoutPipe + stderrPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            childIn = stdinPipe[0]
            childOut = stdoutPipe[1]
            childErr = stderrPipe[1]
            outputs = [
                (try await Self.channel(reading: stdoutPipe[0]), false),
                (try await Self.channel(reading: stderrPipe[0]), true),
            ]
            input = try await Self.channel(writing: stdinPipe[1])
            options.processGroupID = 0
        }

        var ends: [Task<StepExit, Never>] = []
        var failure: String?
        let live = LiveGroups()
        for (local, share) in shares.enumerated() {
            var arguments = ["--status-file", "\(failureFile).\(local)"] + common
            let cpus = share.cores.flatMap { $0 }.sorted()
            if record.bound ?? false, !cpus.isEmpty { arguments += ["--cpus", RangeList.compact(cpus)] }
            arguments += ["--"] + order.command
            var variables = base
            let task = Self.taskVariables(
                order, node: node, local: local, share: share, inherited: base, run: runEnvironment,
                vendor: record.gpuVendor ?? .nvidia, uuids: record.gpuUUIDs ?? [:])
            for (k, v) in task { variables[k] = v }
            var environment: [Environment.Key: String] = [:]
            for (k, v) in variables { if let key = Environment.Key(rawValue: k) { environment[key] = v } }
            // Each task's descriptors, closed once it has started (close-on-exec until then, so no other
            // process the agent starts meanwhile holds them): the step's stdin for the first task, /dev/null
            // for the others, and copies of the output ends.
            let inFD = local == 0 ? childIn : open("/dev/null", O_RDONLY | O_CLOEXEC)
            let out = fcntl(childOut, F_DUPFD_CLOEXEC, 0), err = fcntl(childErr, F_DUPFD_CLOEXEC, 0)
            guard inFD >= 0, out >= 0, err >= 0 else {
                for fd in [inFD, out, err] where fd >= 0 { Glibc.close(fd) }
                failure = "cannot open task \(local)'s descriptors: \(String(cString: strerror(errno)))"
                break
            }
            guard
                let end = await Self.spawn(
                    shim, arguments, environment, options, input: inFD, output: out, error: err,
                    failureFile: "\(failureFile).\(local)", live: live)
            else {
                failure = "cannot start \(shim)"
                break
            }
            ends.append(end)
        }
        Glibc.close(childOut)
        Glibc.close(childErr)
        if let failure {
            for group in live.current { kill(-group, SIGKILL) }
            terminal.map { _ = Glibc.close($0) }
            for output in outputs { try? await output.channel.channel.close() }
            try? await input.channel.close()
            throw LaunchError(failure)
        }
        let status = Task { () -> StepExit in
            var worst: StepExit?
            for end in ends {
                let exit = await end.value
                if worst == nil || exit.status > worst!.status { worst = exit }
            }
            return worst ?? StepExit(reason: "the step had no task")
        }
        return StepProcess(
            live: live, status: status, outputs: outputs, input: input, terminal: terminal)
    }

    /// Starts one task's shim on the given descriptors (each closed once it has started); its end, or nil
    /// when it could not start. Its group is in `live` while it runs; when it ends, what is left
    /// of the group is killed and the group leaves `live`.
    private static func spawn(
        _ shim: String, _ arguments: [String], _ environment: [Environment.Key: String], _ options: PlatformOptions,
        input: Int32, output: Int32, error: Int32, failureFile: String, live: LiveGroups
    ) async -> Task<StepExit, Never>? {
        unlink(failureFile)
        let started = AsyncStream<Int32>.makeStream()
        let end = Task { () -> StepExit in
            let status: TerminationStatus?
            var group: Int32?
            defer {
                if let group {
                    kill(-group, SIGKILL)
                    live.remove(group)
                }
            }
            do {
                status = try await Subprocess.run(
                    .path(FilePath(shim)), arguments: Arguments(arguments), environment: .custom(environment),
                    workingDirectory: FilePath("/"), platformOptions: options,
                    input: .fileDescriptor(FileDescriptor(rawValue: input), closeAfterSpawningProcess: true),
                    output: .fileDescriptor(FileDescriptor(rawValue: output), closeAfterSpawningProcess: true),
                    error: .fileDescriptor(FileDescriptor(rawValue: error), closeAfterSpawningProcess: true)
                ) { execution in
                    group = execution.processIdentifier.value
                    live.insert(execution.processIdentifier.value)
                    started.continuation.yield(execution.processIdentifier.value)
                    started.continuation.finish()
                }.terminationStatus
            } catch {
                started.continuation.finish()
                status = nil
            }
            defer { unlink(failureFile) }
            switch status {
            case .exited(let code)?:
                var exit = StepExit(exitCode: code)
                if code == 127, let text = try? String(contentsOfFile: failureFile, encoding: .utf8), !text.isEmpty {
                    exit.reason = text
                }
                return exit
            case .signaled(let number)?: return StepExit(signal: number)
            case nil: return StepExit(reason: "lost track of the step's process")
            }
        }
        var pids = started.stream.makeAsyncIterator()
        guard await pids.next() != nil else { return nil }
        return end
    }

    /// The variables of task `local` on `node`, the step's node `i` of N, with T tasks on each: Slurm's
    /// (`SLURM_PROCID` = i × T + local, `SLURM_LOCALID` = local, `SLURM_NTASKS` = N × T, …) and
    /// `torch.distributed`'s environment rendezvous (`RANK`, `LOCAL_RANK`, `WORLD_SIZE`, `LOCAL_WORLD_SIZE`,
    /// `GROUP_RANK` = i), at the step's first node (`MASTER_ADDR`) on the job's port (`MASTER_PORT`, inherited
    /// from a multi-node run, else the job's default), unless srun's environment chose others (`inherited`
    /// differs from the run's own, `run`). A task with GPUs of its own sees only those
    /// (`CUDA_VISIBLE_DEVICES`, or ROCm's variables on an AMD node: `GPUVendor.visibleDevices`); with several tasks on the node, or cores per task, each exports its cores
    /// (`RASPORED_CPUS`, `SLURM_CPUS_PER_TASK`, and `OMP_NUM_THREADS` unless srun's environment set its own).
    static func taskVariables(
        _ order: StepOrder, node: String, local: Int, share: TaskShare, inherited: [String: String],
        run: [String: String] = [:], vendor: GPUVendor = .nvidia, uuids: [Int: String] = [:]
    ) -> [String: String] {
        let index = order.nodes.firstIndex(of: node) ?? 0
        let perNode = order.tasksPerNode ?? 1
        let rank = String(index * perNode + local)
        let tasks = String(order.nodes.count * perNode)
        let chosenMaster = inherited["MASTER_ADDR"].flatMap { $0 != run["MASTER_ADDR"] ? $0 : nil }
        let master: String = chosenMaster ?? order.nodes.first ?? node
        var variables: [String: String] = [
            "SLURM_NODEID": String(index), "SLURM_PROCID": rank, "SLURM_LOCALID": String(local),
            "SLURM_NTASKS": tasks, "SLURM_NPROCS": tasks, "SLURM_STEP_NUM_TASKS": tasks,
            "SLURM_NTASKS_PER_NODE": String(perNode),
            "SLURM_STEP_TASKS_PER_NODE": order.nodes.count > 1 ? "\(perNode)(x\(order.nodes.count))" : String(perNode),
            "RANK": rank, "LOCAL_RANK": String(local), "WORLD_SIZE": tasks, "LOCAL_WORLD_SIZE": String(perNode),
            "GROUP_RANK": String(index),
            "MASTER_ADDR": master,
            "MASTER_PORT": inherited["MASTER_PORT"]
                ?? String(JobEnvironment.defaultMasterPort(jobId: String(order.jobId))),
        ]
        if let g = order.gpusPerTask {
            let list = share.gpus.map(String.init).joined(separator: ",")
            for (k, v) in vendor.visibleDevices(share.gpus, uuids: uuids) { variables[k] = v }
            variables["RASPORED_GPUS"] = list
            variables["SLURM_STEP_GPUS"] = list
            variables["SLURM_GPUS_PER_TASK"] = String(g)
        }
        if perNode > 1 || order.coresPerTask != nil, !share.cores.isEmpty {
            variables["RASPORED_CPUS"] = share.cores.flatMap { $0 }.sorted().map(String.init).joined(separator: ",")
            variables["SLURM_CPUS_PER_TASK"] = String(share.cores.count)
            if inherited["OMP_NUM_THREADS"] == run["OMP_NUM_THREADS"] {
                variables["OMP_NUM_THREADS"] = String(share.cores.count)
            }
        }
        return variables
    }

    /// The environment the run's process started with (`/proc/PID/environ`, at most 4 MiB).
    static func environment(of pid: Int32) -> [String: String] {
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/environ") else { return [:] }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: 4 << 20)) ?? Data()
        var variables: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { continue }
            variables[String(text[..<eq])] = String(text[text.index(after: eq)...])
        }
        return variables
    }

    private static func channel(inputOutput fd: Int32) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .takingOwnershipOfDescriptor(inputOutput: fd) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    private static func channel(reading fd: Int32) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .takingOwnershipOfDescriptor(input: fd) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    private static func channel(writing fd: Int32) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .takingOwnershipOfDescriptor(output: fd) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }
}

/// The process groups of a step's running tasks, shared by the tasks' watchers and the step's signals.
final class LiveGroups: Sendable {
    private let groups = Mutex<Set<Int32>>([])

    func insert(_ group: Int32) { groups.withLock { _ = $0.insert(group) } }
    func remove(_ group: Int32) { groups.withLock { _ = $0.remove(group) } }
    var current: [Int32] { groups.withLock { Array($0) } }
}
