import Foundation
import Glibc
import RasporedAPI
import Scheduler
import Subprocess
import Synchronization
import SystemPackage

/// Something that happened to a job, for whoever drives the launcher (the controller client).
public enum JobEvent: Sendable, Hashable {
    case started(JobRecord)
    case finished(JobRecord)
}

/// Runs jobs as real processes: each in its own process group, bound to its CPUs and NUMA memory by
/// `raspored-exec`, output to files, with cancel, time limits and a state directory that
/// survives the agent.
public actor JobLauncher {
    public let stateDirectory: StateDirectory
    /// The binding shim run in front of every job: `raspored-exec` (beside `schedagent`).
    public let shimExecutable: String
    /// How long a job has between SIGTERM and SIGKILL.
    public let gracePeriod: Duration
    public let host: String
    /// Whose identity jobs run with.
    public let runAs: RunAs
    /// The cgroups jobs are confined in; nil runs them unconfined (a machine without usable cgroups).
    public let confinement: Confinement?
    /// Every start and end, in order.
    public nonisolated let events: AsyncStream<JobEvent>

    private let eventSink: AsyncStream<JobEvent>.Continuation
    private var records: [String: JobRecord] = [:]
    private var stopRequests: [String: (state: JobState, reason: String)] = [:]
    /// A stop's own grace, where it has one (a lease stop takes the controller's kill grace).
    private var stopGraces: [String: Duration] = [:]
    /// A run's own grace for cancels and its time limit (`LaunchRequest.killGrace`), where it has one.
    private var runGraces: [String: Duration] = [:]
    /// Warning signals due before time limits (`LaunchRequest.warning`).
    private var warnings: [String: Task<Void, Never>] = [:]
    private var waiters: [String: [CheckedContinuation<JobRecord, Never>]] = [:]
    private var timers: [String: Task<Void, Never>] = [:]

    public init(
        stateDirectory: String, shimExecutable: String, gracePeriod: Duration = .seconds(10), host: String? = nil,
        runAs: RunAs = .agent, confinement: Confinement? = nil
    )
        throws
    {
        self.stateDirectory = try StateDirectory(path: stateDirectory)
        self.shimExecutable = shimExecutable
        self.gracePeriod = gracePeriod
        self.host = host ?? ProcessInfo.processInfo.hostName
        self.runAs = runAs
        self.confinement = confinement
        // Bounded, so an agent nobody listens to does not grow without limit.
        (events, eventSink) = AsyncStream.makeStream(of: JobEvent.self, bufferingPolicy: .bufferingNewest(4096))
    }

    /// Starts the job and returns once its process exists (state `running`, pid set).
    public func launch(_ request: LaunchRequest) async throws -> JobRecord {
        guard StateDirectory.isValidJobId(request.jobId) else { throw LaunchError("invalid job id '\(request.jobId)'") }
        guard !request.command.isEmpty else { throw LaunchError("job \(request.jobId): empty command") }
        if let known = records[request.jobId], !known.state.isFinal {
            throw LaunchError("job \(request.jobId) is already running (pid \(known.pid.map(String.init) ?? "?"))")
        }
        let account = try account(for: request)
        let wd = URL(fileURLWithPath: request.workingDirectory)
        func path(_ template: String) -> String {
            let p = JobEnvironment.expand(
                template, jobId: request.visibleJobId, name: request.name, host: host, array: request.array,
                nodeRank: request.nodeRank)
            return p.hasPrefix("/") ? p : wd.appendingPathComponent(p).path
        }
        let stdoutPath = path(request.output)
        let stderrPath = request.error.map(path)

        var base = request.environment ?? ProcessInfo.processInfo.environment
        base.merge(JobEnvironment.variables(for: request, host: host)) { _, job in job }
        if let account { JobEnvironment.addAccountDefaults(&base, account) }
        // An `--export=NONE` job still finds the system's programs.
        base["PATH"] = base["PATH"] ?? JobEnvironment.defaultPath
        var environment: [Environment.Key: String] = [:]
        for (k, v) in base { if let key = Environment.Key(rawValue: k) { environment[key] = v } }
        let failureFile = stateDirectory.execFailureFile(request.jobId)
        unlink(failureFile)
        let cgroup = try confinement?.create(
            runId: request.jobId, cpus: request.bind ? request.cpus : nil, mems: request.bind ? request.mems : nil,
            memoryLimit: request.memoryLimitBytes, gpus: request.gpus)
        // The shim does, in order: join the cgroup, bind, become the user, enter the working directory and
        // open the output as the user, exec.
        var arguments = ["--status-file", failureFile]
        for procs in cgroup?.procsFiles ?? [] { arguments += ["--cgroup", procs] }
        if request.bind, !request.cpus.isEmpty { arguments += ["--cpus", RangeList.compact(request.cpus)] }
        if request.bind, !request.mems.isEmpty { arguments += ["--mems", RangeList.compact(request.mems)] }
        if let account, account.uid != geteuid() || account.gid != getegid() {
            arguments += [
                "--uid", String(account.uid), "--gid", String(account.gid),
                "--groups", account.groups.map(String.init).joined(separator: ","),
            ]
        }
        arguments += ["--chdir", wd.path, "--output", stdoutPath]
        if let stderrPath { arguments += ["--error", stderrPath] }
        if request.truncateOutput { arguments += ["--truncate", "yes"] }
        arguments += ["--"] + request.command
        var options = PlatformOptions()
        options.processGroupID = 0  // setpgid(0, 0): the job leads a new group, so signals reach its whole tree

        records[request.jobId] = JobRecord(
            jobId: request.jobId, userJobId: request.userJobId, name: request.name, command: request.command,
            workingDirectory: request.workingDirectory, stdoutPath: stdoutPath, stderrPath: stderrPath,
            gpus: request.gpus, cpus: request.cpus, mems: request.mems, bound: request.bind, startedAt: Date(),
            deadline: request.timeLimit.map { Date().addingTimeInterval($0.seconds) }, state: .running,
            user: account?.name, uid: account?.uid ?? geteuid(), cgroup: cgroup)
        records[request.jobId]?.gpuVendor = request.gpuVendor
        records[request.jobId]?.gpuUUIDs = request.gpuUUIDs.isEmpty ? nil : request.gpuUUIDs
        stopRequests[request.jobId] = nil
        runGraces[request.jobId] = request.killGrace
        let id = request.jobId
        let shim = shimExecutable
        let limit = request.timeLimit
        let warning = request.warning
        return try await withCheckedThrowingContinuation { (started: CheckedContinuation<JobRecord, any Error>) in
            let resumed = Mutex(false)
            Task {
                do {
                    let result = try await Subprocess.run(
                        .path(FilePath(shim)), arguments: Arguments(arguments), environment: .custom(environment),
                        workingDirectory: FilePath("/"), platformOptions: options, input: .none,
                        output: .discarded, error: .discarded
                    ) { execution in
                        let record = self.didStart(
                            id, pid: execution.processIdentifier.value, limit: limit, warning: warning)
                        resumed.withLock { $0 = true }
                        started.resume(returning: record)
                    }
                    self.didEnd(id, status: result.terminationStatus)
                } catch {
                    let first = resumed.withLock { r in
                        defer { r = true }
                        return !r
                    }
                    if first {
                        self.didNotStart(id)
                        started.resume(throwing: LaunchError("job \(id): cannot start \(shim): \(error)"))
                    } else {
                        self.didEnd(id, status: nil)
                    }
                }
            }
        }
    }

    /// Also called for a signal to a whole job (`alsoSignal`): the agent's steps of the run.
    private var signalAlso: (@Sendable (String, Int32) async -> Void)?

    /// Has `also` called with the run's id for each signal to a whole job (not batch-only), so what runs
    /// beside the job's own processes (its steps, in process groups of their own) gets it too.
    public func alsoSignal(_ also: @escaping @Sendable (String, Int32) async -> Void) { signalAlso = also }

    /// Sends `signal` to a running job's whole process group (and, through `alsoSignal`, its steps), or to
    /// its first process only (`batchOnly`); false when it is not running here. The placeholder a multi-node
    /// job's other nodes hold their share with (`RunAssignment.holdCommand`) is not the job's work: it is
    /// not signalled (a SIGUSR1 would end it, and the node's steps with it), only the steps are.
    @discardableResult
    public func signal(_ jobId: String, _ signal: Int32, batchOnly: Bool = false) async -> Bool {
        guard let record = records[jobId], !record.state.isFinal, let group = record.processGroup else {
            return false
        }
        let holds = record.command == RunAssignment.holdCommand
        if batchOnly { return !holds && kill(group, signal) == 0 }
        await signalAlso?(jobId, signal)
        return holds || kill(-group, signal) == 0
    }

    /// Stops a running job: SIGTERM to its process group, SIGKILL after `grace` (the run's own kill grace,
    /// else the launcher's grace period, unless given).
    public func cancel(_ jobId: String, reason: String = "cancelled", grace: Duration? = nil) {
        stop(jobId, as: .cancelled, reason: reason, grace: grace)
    }

    /// The job's record once it has ended (immediately if it has); nil for an unknown job.
    public func wait(_ jobId: String) async -> JobRecord? {
        guard let record = records[jobId] else { return nil }
        if record.state.isFinal { return record }
        return await withCheckedContinuation { waiters[jobId, default: []].append($0) }
    }

    /// Drops an ended job: from memory and from the state directory (its output files stay). Returns
    /// false, changing nothing, for a job that is still running or unknown.
    @discardableResult
    public func forget(_ jobId: String) -> Bool {
        guard let record = records[jobId], record.state.isFinal else { return false }
        records[jobId] = nil
        do { try stateDirectory.remove(jobId) } catch {
            FileHandle.standardError.write(Data("schedagent: cannot remove job \(jobId)'s record: \(error)\n".utf8))
        }
        return true
    }

    /// The current record of one job.
    public func record(_ jobId: String) -> JobRecord? { records[jobId] }

    /// All jobs this launcher knows, by job id.
    public func jobs() -> [JobRecord] { records.values.sorted { $0.jobId < $1.jobId } }

    /// Reads the state directory after a restart. Jobs whose process still runs (same pid and start time)
    /// are adopted: watched, cancellable, time limit re-armed. Jobs whose process vanished are `lost`, and
    /// whatever is left of their process group is SIGKILLed (see `ProcessProbe.killGroup`). Unreadable
    /// records are moved aside (`StateDirectory.loadAll`).
    @discardableResult
    public func recover() throws -> [JobRecord] {
        for var record in try stateDirectory.loadAll() where records[record.jobId] == nil {
            defer { records[record.jobId] = record }
            guard !record.state.isFinal else { continue }
            if let pid = record.pid, ProcessProbe.isAlive(pid, startTicks: record.processStartTicks) {
                adopt(record)
            } else {
                record.state = .lost
                record.endedAt = Date()
                record.reason = "process \(record.pid.map(String.init) ?? "?") vanished while the agent was not running"
                // The leader is gone but its group may not be (torchrun's workers, a shell's background
                // children): nobody would ever stop them, and their resources go back to the scheduler.
                if let group = record.processGroup,
                    ProcessProbe.killGroup(group, startedNoEarlierThan: record.processStartTicks)
                {
                    record.reason! += "; the rest of its process group was killed"
                }
                release(&record)
                persist(record)
                eventSink.yield(.finished(record))
            }
        }
        return jobs()
    }

    // MARK: - Lifecycle steps

    private func didStart(_ id: String, pid: Int32, limit: Duration?, warning: WarningSignal?) -> JobRecord {
        records[id]!.pid = pid
        records[id]!.processGroup = pid
        records[id]!.processStartTicks = ProcessProbe.startTicks(pid)
        let record = records[id]!
        persist(record)
        eventSink.yield(.started(record))
        if stopRequests[id] != nil {
            // Cancelled while it was being launched.
            terminate(pid, grace: stopGraces[id])
        } else if let limit {
            armTimeLimit(id, after: limit)
            if let warning { armWarning(id, warning, limit: limit) }
        }
        return record
    }

    private func didNotStart(_ id: String) {
        if let cgroup = records[id]?.cgroup { Confinement.remove(cgroup) }
        records[id] = nil
    }

    /// The Unix account `request` runs as (nil: the agent's own user). Refuses a user with no account here,
    /// an account with uid 0 unless the request allows root, and a user the agent cannot become.
    private func account(for request: LaunchRequest) throws(LaunchError) -> UnixAccount? {
        guard runAs == .submitter else { return nil }
        guard let user = request.user, !user.isEmpty else {
            throw LaunchError("job \(request.visibleJobId) names no user to run as")
        }
        guard let account = try UnixAccount.lookup(user) else {
            throw LaunchError("user \(user) has no account on \(host)")
        }
        if account.uid == 0 && !request.allowRoot {
            throw LaunchError(
                "jobs as root are refused: \(user) is uid 0 on \(host), and cluster.yaml's rootUsers does not name \(user)"
            )
        }
        if geteuid() != 0 && account.uid != geteuid() {
            throw LaunchError(
                "the agent runs as uid \(geteuid()) and cannot start jobs as \(user) (uid \(account.uid)); run it as root"
            )
        }
        return account
    }

    /// Ends whatever is left in the job's cgroup, reads what the job used, and removes the cgroup.
    private func release(_ record: inout JobRecord) {
        guard let cgroup = record.cgroup else { return }
        Confinement.kill(cgroup)
        record.usage = Confinement.usage(cgroup)
        Confinement.remove(cgroup)
        record.cgroup = nil
    }

    private func didEnd(_ id: String, status: TerminationStatus?) {
        guard var record = records[id] else { return }
        timers.removeValue(forKey: id)?.cancel()
        switch status {
        case .exited(let code)?: record.exitCode = code
        case .signaled(let signal)?: record.signal = signal
        case nil: break
        }
        if let stop = stopRequests[id] {
            record.state = stop.state
            record.reason = stop.reason
        } else if record.exitCode == 0 {
            record.state = .completed
        } else if record.exitCode == 127, let failure = execFailure(id) {
            // The shim could not bind or exec: the job's own code never ran.
            record.state = .failed
            record.reason = failure
            record.execFailed = true
        } else {
            record.state = .failed
            record.reason =
                status == nil
                ? "lost track of the process"
                : record.signal.map { "killed by signal \($0)" }
                    ?? "exit status \(record.exitCode ?? -1)"
        }
        // The job is over and its resources go back: nothing it left in its group, or anywhere in its
        // cgroup (a daemon that double-forked into a session of its own), may keep running.
        if let group = record.processGroup, ProcessProbe.groupIsAlive(group) { kill(-group, SIGKILL) }
        release(&record)
        if stopRequests[id] == nil, record.state == .failed, let usage = record.usage, usage.oomKills > 0 {
            record.reason =
                "out of memory: limit \(usage.memoryLimitBytes.map { ByteSize(bytes: $0).description } ?? "?")"
        }
        finish(record)
    }

    /// What the shim wrote when it failed, removing the file.
    private func execFailure(_ id: String) -> String? {
        let path = stateDirectory.execFailureFile(id)
        defer { unlink(path) }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty else { return nil }
        return text
    }

    private func finish(_ record: JobRecord) {
        stopGraces[record.jobId] = nil
        runGraces[record.jobId] = nil
        warnings.removeValue(forKey: record.jobId)?.cancel()
        var record = record
        record.endedAt = Date()
        records[record.jobId] = record
        persist(record)
        eventSink.yield(.finished(record))
        for waiter in waiters.removeValue(forKey: record.jobId) ?? [] { waiter.resume(returning: record) }
    }

    private func stop(_ id: String, as state: JobState, reason: String, grace: Duration? = nil) {
        guard let record = records[id], !record.state.isFinal else { return }
        if stopRequests[id] == nil { stopRequests[id] = (state, reason) }
        if let grace = grace ?? runGraces[id] { stopGraces[id] = grace }
        // Still launching: the request is recorded, and didStart signals the group as soon as it exists.
        guard let group = record.processGroup else { return }
        terminate(group, grace: stopGraces[id])
    }

    /// SIGTERM to the whole group now, SIGKILL to whatever is left of it after `grace` (default: the
    /// launcher's grace period).
    private func terminate(_ group: Int32, grace: Duration? = nil) {
        kill(-group, SIGTERM)
        let grace = grace ?? gracePeriod
        Task {
            // Bounded wait for the group to empty; whatever is left after the grace period is killed.
            let deadline = ContinuousClock.now + grace
            while ContinuousClock.now < deadline, ProcessProbe.groupIsAlive(group) {
                try? await Task.sleep(for: .milliseconds(20))
            }
            if ProcessProbe.groupIsAlive(group) { kill(-group, SIGKILL) }
        }
    }

    /// The warning signal, `secondsBefore` the time limit (at once when the limit is nearer than that).
    private func armWarning(_ id: String, _ w: WarningSignal, limit: Duration) {
        let delay = max(limit - .seconds(w.secondsBefore), .zero)
        warnings[id] = Task {
            try? await Task.sleep(for: delay)
            guard !Task.isCancelled else { return }
            await self.signal(id, w.signal, batchOnly: w.batchOnly)
        }
    }

    private func armTimeLimit(_ id: String, after limit: Duration) {
        timers[id] = Task {
            try? await Task.sleep(for: limit)
            guard !Task.isCancelled else { return }
            self.stop(id, as: .timedOut, reason: "time limit \(limit) reached")
        }
    }

    /// Watches a job this launcher did not start (found running by `recover`): it is not our child, so its
    /// exit status is unknowable; when it disappears it is `lost` unless we stopped it.
    private func adopt(_ record: JobRecord) {
        let id = record.jobId
        if let deadline = record.deadline {
            armTimeLimit(id, after: .seconds(max(0, deadline.timeIntervalSinceNow)))
        }
        Task {
            while let pid = record.pid, ProcessProbe.isAlive(pid, startTicks: record.processStartTicks) {
                try? await Task.sleep(for: .milliseconds(200))
            }
            self.adoptedJobEnded(id)
        }
    }

    private func adoptedJobEnded(_ id: String) {
        guard var record = records[id], !record.state.isFinal else { return }
        timers.removeValue(forKey: id)?.cancel()
        if let stop = stopRequests[id] {
            record.state = stop.state
            record.reason = stop.reason
        } else {
            record.state = .lost
            record.reason = "exited while not a child of this agent; exit status unknown"
        }
        if let group = record.processGroup, ProcessProbe.groupIsAlive(group) { kill(-group, SIGKILL) }
        release(&record)
        finish(record)
    }

    private func persist(_ record: JobRecord) {
        do { try stateDirectory.save(record) } catch {
            FileHandle.standardError.write(Data("schedagent: cannot save job \(record.jobId): \(error)\n".utf8))
        }
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
