/// Why a running job is being stopped: asked for, but its processes are not yet known to be gone.
///
/// A running job keeps its allocation (and its `running` state) until the agent reports the exit or
/// the node is declared lost, so no GPU is handed to another job while the first still runs on it. The
/// request decides what the exit means: a job killed because it was cancelled is `cancelled`, not
/// `failed`.
public struct JobStopRequest: Hashable, Sendable, Codable {
    /// What asked for the stop.
    public enum Kind: String, Hashable, Sendable, Codable {
        /// A user or admin cancelled the job; the exit makes it `cancelled`.
        case cancel
        /// The job reached its time limit; the exit makes it `timeout`.
        case timeLimit
        /// An admin requeued the job; the exit returns it to `pending`.
        case requeue
    }

    public var kind: Kind
    /// Who asked (a user or admin name); nil for the time limit.
    public var by: String?
    /// When it was asked, in seconds since the epoch.
    public var at: Int64

    public init(kind: Kind, by: String? = nil, at: Int64) {
        self.kind = kind
        self.by = by
        self.at = at
    }
}
