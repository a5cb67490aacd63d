import CAgentShims
import Foundation
import Glibc
import NIOCore
import NIOPosix
import RasporedAPI
import Scheduler
import Subprocess
import SystemPackage

/// A step's process, started through `raspored-exec` inside a running run's allocation: the run's cgroup,
/// CPU and memory binding, Unix account, working directory and environment (read from the run's process,
/// `/proc/PID/environ`), with `RASPORED_STEP_ID`, `SLURM_STEP_ID`, `SLURM_JOB_ID`, the step's nodes
/// (`SLURM_NODEID`: this node's position, `SLURM_STEP_NUM_NODES`, `SLURM_STEP_NODELIST`) and its task on
/// this node (`taskVariables`) on top.
///
/// With a pseudo-terminal the process leads a session of its own whose controlling terminal is the pty's
/// slave (owned by the step's user, mode 0620); the agent holds the master. Without one, its standard
/// input, output and error are pipes. Either way it leads its own process group, which `signal` reaches.
final class StepProcess: Sendable {
    /// The process (and its group's) id.
    let pid: Int32
    /// The end of the run: the termination status, nil when it could not be known.
    let status: Task<TerminationStatus?, Never>
    /// What the shim wrote when it could not start the command.
    let failureFile: String
    /// Where the step's output comes from: the pty's master, or the stdout and stderr pipes.
    private let outputs: [(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, stderr: Bool)]
    /// Where its input goes: the pty's master, or the stdin pipe.
    private let input: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    /// A descriptor of the pty's master for window-size changes; nil for pipes.
    let terminal: Int32?

    private init(
        pid: Int32, status: Task<TerminationStatus?, Never>, failureFile: String,
        outputs: [(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, stderr: Bool)],
        input: NIOAsyncChannel<ByteBuffer, ByteBuffer>, terminal: Int32?
    ) {
        self.pid = pid
        self.status = status
        self.failureFile = failureFile
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

    /// Sends `signal` to the step's process group.
    func signal(_ number: Int32) { kill(-pid, number) }

    /// Sets the pty's window size (the step's foreground group gets SIGWINCH).
    func resize(rows: UInt16, cols: UInt16) {
        if let terminal { _ = raspored_set_window_size(terminal, rows, cols) }
    }

    /// Releases the window-size descriptor.
    func close() {
        if let terminal { Glibc.close(terminal) }
    }

    /// Starts `order`'s command in `record`'s allocation on `node`; a `LaunchError` when it cannot.
    static func start(
        _ order: StepOrder, on node: String, in record: JobRecord, shim: String, runAs: RunAs, failureFile: String
    ) async throws -> StepProcess {
        guard record.state == .running, let runPid = record.pid else {
            throw LaunchError("run \(order.runId) is not running on this node")
        }
        var account: UnixAccount?
        if runAs == .submitter, let user = record.user {
            guard let found = try UnixAccount.lookup(user) else {
                throw LaunchError("user \(user) has no account here")
            }
            account = found
        }
        var arguments = ["--status-file", failureFile]
        for procs in record.cgroup?.procsFiles ?? [] { arguments += ["--cgroup", procs] }
        if record.bound ?? false, !record.cpus.isEmpty { arguments += ["--cpus", RangeList.compact(record.cpus)] }
        if record.bound ?? false, !record.mems.isEmpty { arguments += ["--mems", RangeList.compact(record.mems)] }
        if let account, account.uid != geteuid() || account.gid != getegid() {
            arguments += [
                "--uid", String(account.uid), "--gid", String(account.gid),
                "--groups", account.groups.map(String.init).joined(separator: ","),
            ]
        }
        arguments += ["--chdir", record.workingDirectory]
        if order.pty { arguments.append("--ctty") }
        arguments += ["--"] + order.command

        var variables = Self.environment(of: runPid)
        variables["RASPORED_STEP_ID"] = String(order.step)
        variables["SLURM_STEP_ID"] = String(order.step)
        variables["SLURM_JOB_ID"] = String(order.jobId)
        variables["SLURM_STEP_NUM_NODES"] = String(order.nodes.count)
        variables["SLURM_STEP_NODELIST"] = order.nodes.joined(separator: ",")
        for (k, v) in Self.taskVariables(order, node: node, inherited: variables) { variables[k] = v }
        if order.pty { variables["TERM"] = order.term ?? variables["TERM"] ?? "xterm" }
        var environment: [Environment.Key: String] = [:]
        for (k, v) in variables { if let key = Environment.Key(rawValue: k) { environment[key] = v } }

        unlink(failureFile)
        var options = PlatformOptions()
        // The child's ends of the descriptors, and the agent's.
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
            childOut = dup(slave)
            childErr = dup(slave)
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
            // Only the child's copies (dup2'ed onto 0, 1, 2) may cross into it.
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

        let started = AsyncStream<Int32>.makeStream()
        let executable = FilePath(shim)
        let status = Task { () -> TerminationStatus? in
            do {
                let result = try await Subprocess.run(
                    .path(executable), arguments: Arguments(arguments), environment: .custom(environment),
                    workingDirectory: FilePath("/"), platformOptions: options,
                    input: .fileDescriptor(FileDescriptor(rawValue: childIn), closeAfterSpawningProcess: true),
                    output: .fileDescriptor(FileDescriptor(rawValue: childOut), closeAfterSpawningProcess: true),
                    error: .fileDescriptor(FileDescriptor(rawValue: childErr), closeAfterSpawningProcess: true)
                ) { execution in
                    started.continuation.yield(execution.processIdentifier.value)
                    started.continuation.finish()
                }
                return result.terminationStatus
            } catch {
                started.continuation.finish()
                return nil
            }
        }
        var pids = started.stream.makeAsyncIterator()
        guard let pid = await pids.next() else {
            terminal.map { _ = Glibc.close($0) }
            for output in outputs { try? await output.channel.channel.close() }
            try? await input.channel.close()
            throw LaunchError("cannot start \(shim)")
        }
        return StepProcess(
            pid: pid, status: status, failureFile: failureFile, outputs: outputs, input: input, terminal: terminal)
    }

    /// A step runs one task per node: this node's task is the step's task `i`, its position in the step's
    /// nodes, as under `srun` on N nodes (Slurm's task variables), and rank `i` of a world of N for
    /// `torch.distributed`'s environment rendezvous, at the step's first node (`MASTER_ADDR`) on the job's
    /// port (`MASTER_PORT`, inherited from a multi-node run, else the job's default).
    static func taskVariables(_ order: StepOrder, node: String, inherited: [String: String]) -> [String: String] {
        let index = String(order.nodes.firstIndex(of: node) ?? 0)
        let tasks = String(order.nodes.count)
        return [
            "SLURM_NODEID": index, "SLURM_PROCID": index, "SLURM_LOCALID": "0", "SLURM_NTASKS": tasks,
            "SLURM_NPROCS": tasks, "SLURM_STEP_NUM_TASKS": tasks, "SLURM_NTASKS_PER_NODE": "1",
            "SLURM_STEP_TASKS_PER_NODE": order.nodes.count > 1 ? "1(x\(tasks))" : "1",
            "RANK": index, "LOCAL_RANK": "0", "WORLD_SIZE": tasks, "LOCAL_WORLD_SIZE": "1", "GROUP_RANK": index,
            "MASTER_ADDR": order.nodes.first ?? node,
            "MASTER_PORT": inherited["MASTER_PORT"]
                ?? String(JobEnvironment.defaultMasterPort(jobId: String(order.jobId))),
        ]
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
