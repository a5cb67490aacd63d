import Scheduler

/// A node's administrative state as recorded: who set it, why, and since when.
///
/// `drain` covers both DRAINING and DRAINED; which one is derived from whether jobs still run there.
public struct NodeStateRecord: Hashable, Sendable, Codable {
    public var node: String
    public var state: NodeAvailability
    /// Why (required for a drain by the API; nil when resumed).
    public var reason: String?
    /// Who set it: an admin's name, or "controller" for a node marked down by the heartbeat monitor.
    public var actor: String
    /// Seconds since the epoch.
    public var since: Int64

    public init(node: String, state: NodeAvailability, reason: String?, actor: String, since: Int64) {
        self.node = node
        self.state = state
        self.reason = reason
        self.actor = actor
        self.since = since
    }
}
