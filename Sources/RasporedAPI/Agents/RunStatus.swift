/// One run of a job on one node. A job that is requeued runs again as a new run: `runId` is the job id for
/// its first run and `ID.N` for its N-th requeue (`42`, `42.1`), so an agent never confuses a stale
/// process of an earlier attempt with the current one. The agent uses `runId` as its own job id.
public enum RunId {
    public static func make(job: Int64, attempt: Int) -> String { attempt == 0 ? "\(job)" : "\(job).\(attempt)" }

    /// The job id and attempt of a run id; nil when it is not one.
    public static func parse(_ runId: String) -> (job: Int64, attempt: Int)? {
        let parts = runId.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let job = Int64(parts[0]), job > 0 else { return nil }
        if parts.count == 1 { return (job, 0) }
        guard let attempt = Int(parts[1]), attempt > 0 else { return nil }
        return (job, attempt)
    }
}

/// Where a run is, as the agent reports it.
public enum RunPhase: String, Hashable, Sendable, Codable, CaseIterable {
    /// Accepted by the agent, process not there yet.
    case starting
    case running
    /// Exited with status 0.
    case completed
    /// Exited non-zero, or was killed by a signal nobody asked for.
    case failed
    /// Stopped on the controller's order.
    case stopped
    /// Stopped by the agent because it reached its time limit.
    case timedOut
    /// Could not be started (the command does not exist, binding failed, the working directory is missing).
    case launchFailed
    /// The agent lost sight of it and does not know how it ended.
    case lost

    public var isFinal: Bool { self != .starting && self != .running }
}

/// A run as the agent reports it, in registrations and heartbeats.
public struct RunStatus: Hashable, Sendable, Codable {
    public var runId: String
    public var phase: RunPhase
    public var pid: Int32?
    public var exitCode: Int32?
    public var signal: Int32?
    /// Why it ended the way it did, in words ("time limit 5s reached", "cannot execute …").
    public var reason: String?
    /// Seconds since the epoch.
    public var startedAt: Double?
    public var endedAt: Double?
    /// Bytes of output the agent has shipped to the controller so far; for an ended run, all of it.
    public var outputShipped: Int64?
    /// For an ended run, what it used, from its cgroup: CPU time in seconds and peak memory in bytes (absent
    /// when the run was not confined).
    public var cpuSeconds: Double?
    public var peakMemoryBytes: UInt64?
    /// For a running run, its latest sample (absent until the agent has taken one).
    public var usage: RunUsage?

    public init(
        runId: String, phase: RunPhase, pid: Int32? = nil, exitCode: Int32? = nil, signal: Int32? = nil,
        reason: String? = nil, startedAt: Double? = nil, endedAt: Double? = nil, outputShipped: Int64? = nil,
        cpuSeconds: Double? = nil, peakMemoryBytes: UInt64? = nil, usage: RunUsage? = nil
    ) {
        self.usage = usage
        self.runId = runId
        self.phase = phase
        self.pid = pid
        self.exitCode = exitCode
        self.signal = signal
        self.reason = reason
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outputShipped = outputShipped
        self.cpuSeconds = cpuSeconds
        self.peakMemoryBytes = peakMemoryBytes
    }
}
