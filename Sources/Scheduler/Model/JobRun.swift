/// One run of a job, recorded when it ends: where it ran, for how long, how it ended and what it used.
///
/// A job runs once, or again after each requeue (run 1 is `42.1`); each run held its GPUs from `startMillis`
/// to `endMillis`, and the platform's accounting (`schedctl history`, `schedctl usage`, fair share after a
/// restart) counts every run, not only the last. Times are milliseconds since the epoch.
public struct JobRun: Hashable, Sendable, Codable {
    /// How a run ended: the job's final state, or `requeued` when the job went back to the queue.
    public enum Outcome: String, Hashable, Sendable, Codable, CaseIterable {
        case completed, failed, cancelled, timeout, requeued
    }

    public var jobId: Int64
    /// 0 for the first run, n after n requeues (the job's `requeueCount` while the run ran).
    public var run: Int
    public var user: String
    public var account: String
    public var partition: String
    /// GPUs it held, over all its nodes.
    public var gpus: Int
    /// The model of those GPUs, when the nodes' GPUs are all of one model.
    public var gpuModel: String?
    /// Its nodes, in allocation order.
    public var nodes: [String]
    /// When its job was submitted (the same for every run of a job).
    public var submitMillis: Int64
    public var startMillis: Int64
    public var endMillis: Int64
    /// When the controller gave its allocation back; nil where that was not recorded.
    public var releasedMillis: Int64?
    public var outcome: Outcome
    public var exitCode: Int32?
    public var signal: Int32?
    /// How it ended in words, when the outcome alone does not say ("requeued by ana", "node dgx03 lost").
    public var reason: String?
    /// What it used, from its cgroup on its first node; nil when it was not confined or no agent reported it.
    public var cpuSeconds: Double?
    public var peakMemoryBytes: UInt64?
    /// Each GPU over the run, from its agents' last samples: utilisation (its mean, and the last sample's),
    /// the most device memory seen, power; nil where the GPUs could not be read.
    public var gpuUsage: [GPUUsage]?

    public init(
        jobId: Int64, run: Int, user: String, account: String, partition: String, gpus: Int, gpuModel: String?,
        nodes: [String], submitMillis: Int64, startMillis: Int64, endMillis: Int64, releasedMillis: Int64? = nil,
        outcome: Outcome, exitCode: Int32? = nil, signal: Int32? = nil, reason: String? = nil,
        cpuSeconds: Double? = nil, peakMemoryBytes: UInt64? = nil
    ) {
        self.jobId = jobId
        self.run = run
        self.user = user
        self.account = account
        self.partition = partition
        self.gpus = gpus
        self.gpuModel = gpuModel
        self.nodes = nodes
        self.submitMillis = submitMillis
        self.startMillis = startMillis
        self.endMillis = endMillis
        self.releasedMillis = releasedMillis
        self.outcome = outcome
        self.exitCode = exitCode
        self.signal = signal
        self.reason = reason
        self.cpuSeconds = cpuSeconds
        self.peakMemoryBytes = peakMemoryBytes
    }

    /// Its length, start to end, in milliseconds (0 for an end recorded before the start).
    public var elapsedMillis: Int64 { max(endMillis - startMillis, 0) }

    /// GPU-seconds it held: GPUs × its length.
    public var gpuSeconds: Double { Double(gpus) * Double(elapsedMillis) / 1000 }

    /// The run of `job` that `event` ends, or nil when the event ends no run. `before` is the job as it ran,
    /// `after` the job the event left (its final state, or pending again after a requeue); `released` is when
    /// the allocation was given back, `gpuModel` the model of the nodes' GPUs.
    public static func ended(
        before: Job, after: Job, by event: JobLifecycle.Event, released: Timestamp?, gpuModel: String?
    ) -> JobRun? {
        guard before.state == .running, after.state != .running, let start = before.startMillis,
            let allocation = before.allocation
        else { return nil }
        let end: Timestamp
        var status: (code: Int32?, signal: Int32?) = (nil, nil)
        var usage: (Double?, UInt64?) = (nil, nil)
        switch event {
        case let .exit(code, signal, at):
            end = at
            status = (code, signal)
            usage = (after.cpuSeconds, after.peakMemoryBytes)
        case let .nodeLost(_, _, at): end = at
        case .start, .cancel, .timeLimit, .requeue: return nil
        }
        let outcome: Outcome
        switch after.state {
        case .pending: outcome = .requeued
        case .completed: outcome = .completed
        case .failed: outcome = .failed
        case .cancelled: outcome = .cancelled
        case .timeout: outcome = .timeout
        case .running: return nil
        }
        return JobRun(
            jobId: before.id, run: before.requeueCount, user: before.user, account: before.account,
            partition: before.partition, gpus: allocation.nodes.reduce(0) { $0 + $1.gpus.count },
            gpuModel: allocation.gpuModel ?? gpuModel, nodes: allocation.nodes.map(\.node),
            submitMillis: before.submitMillis, startMillis: start, endMillis: max(end.millis, start),
            releasedMillis: released?.millis, outcome: outcome,
            exitCode: status.code, signal: status.signal,
            reason: outcome == .requeued ? after.pendingReason : after.endReason, cpuSeconds: usage.0,
            peakMemoryBytes: usage.1)
    }
}
