import Scheduler

/// Which jobs `StateStore.jobs(filter:)` returns; every field left nil matches all.
public struct JobFilter: Hashable, Sendable {
    /// Only jobs in one of these states.
    public var states: Set<JobState>?
    /// Only this user's jobs.
    public var user: String?
    /// Only jobs with a greater id (for paging).
    public var afterId: Int64?
    /// At most this many, lowest ids first.
    public var limit: Int?
    /// Only jobs that ended at or after this time (seconds since the epoch).
    public var endedSince: Int64?
    /// Only the tasks of the job array with this id.
    public var arrayJobId: Int64?
    /// Read each job's environment too (`Job.environment`; nil otherwise).
    public var environments: Bool

    public init(
        states: Set<JobState>? = nil, user: String? = nil, afterId: Int64? = nil, limit: Int? = nil,
        endedSince: Int64? = nil, arrayJobId: Int64? = nil, environments: Bool = false
    ) {
        self.states = states
        self.user = user
        self.afterId = afterId
        self.limit = limit
        self.endedSince = endedSince
        self.arrayJobId = arrayJobId
        self.environments = environments
    }

    /// Jobs that have not ended: what a restarted controller reloads into the engine.
    public static let active = JobFilter(states: [.pending, .running])
}
