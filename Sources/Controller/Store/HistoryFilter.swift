import Scheduler

/// Which jobs `StateStore.history(_:)` returns: those that ran, or ended, within a time window, filtered.
/// Each set left nil matches all.
public struct HistoryFilter: Hashable, Sendable {
    /// The window, in milliseconds since the epoch: a job is in it when one of its runs overlapped it (its
    /// start at or before `untilMillis`, its end at or after `sinceMillis`, or still running), or when it
    /// ended within it without having started (cancelled while pending).
    public var sinceMillis: Int64
    public var untilMillis: Int64
    /// Whose jobs a caller that is not an admin may see: its own, and those of the accounts it coordinates;
    /// nil for an admin (everyone's).
    public var viewer: Viewer?
    public var users: Set<String>?
    public var accounts: Set<String>?
    public var partitions: Set<String>?
    public var states: Set<JobState>?
    /// Only jobs that ran on this node (any of their runs).
    public var node: String?
    /// Only jobs with a greater id (for paging).
    public var afterId: Int64?
    /// At most this many, lowest ids first.
    public var limit: Int

    public struct Viewer: Hashable, Sendable {
        public var user: String
        public var accounts: Set<String>

        public init(user: String, accounts: Set<String> = []) {
            self.user = user
            self.accounts = accounts
        }
    }

    public init(
        sinceMillis: Int64, untilMillis: Int64, viewer: Viewer? = nil, users: Set<String>? = nil,
        accounts: Set<String>? = nil, partitions: Set<String>? = nil, states: Set<JobState>? = nil,
        node: String? = nil, afterId: Int64? = nil, limit: Int = 1_000
    ) {
        self.sinceMillis = sinceMillis
        self.untilMillis = untilMillis
        self.viewer = viewer
        self.users = users
        self.accounts = accounts
        self.partitions = partitions
        self.states = states
        self.node = node
        self.afterId = afterId
        self.limit = limit
    }
}
