import Scheduler

/// The answer to `POST /v1/jobs?dryRun=true`: where the job would run now, or why not and when it could
/// start. Nothing is recorded.
public struct DryRunReply: Hashable, Sendable, Codable {
    /// Where it would run if submitted now; nil when it would wait.
    public var allocation: AllocationView?
    /// Why it would wait, in the engine's words; nil when it would run.
    public var reason: String?
    /// When it would be expected to start (seconds since the epoch), from the running jobs' time limits
    /// and the jobs queued before it; nil when it would run now or no estimate exists.
    public var estimatedStart: Int64?
    /// The partition, account and time limit it would get.
    public var partition: String
    public var account: String
    public var timeLimit: Int64

    public init(
        allocation: AllocationView?, reason: String?, estimatedStart: Int64?, partition: String, account: String,
        timeLimit: Int64
    ) {
        self.allocation = allocation
        self.reason = reason
        self.estimatedStart = estimatedStart
        self.partition = partition
        self.account = account
        self.timeLimit = timeLimit
    }
}
