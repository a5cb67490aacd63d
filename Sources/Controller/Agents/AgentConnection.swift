import RasporedAPI

/// What the controller knows of one node's agent since the controller started. Not stored: after a
/// restart every agent registers again, and until it does its node takes no work.
struct AgentConnection: Sendable {
    enum Status: Sendable, Equatable {
        /// Registered with matching hardware and heartbeating.
        case connected
        /// Registered, but its hardware differs from cluster.yaml: heartbeating, takes no work.
        case invalid(String)
        /// Silent past the timeout: declared down; it must register again.
        case lost(String)
    }

    var status: Status
    /// When it was last heard from (monotonic, for the timeout) and the same moment in epoch seconds.
    var lastSeen: ContinuousClock.Instant
    var lastSeenEpoch: Int64
    /// Every difference found at registration (warnings included).
    var differences: [NodeDifference]
    /// The runs its latest heartbeat reported, by run id.
    var reported: [String: RunStatus]

    var isLive: Bool {
        if case .lost = status { return false }
        return true
    }
}
