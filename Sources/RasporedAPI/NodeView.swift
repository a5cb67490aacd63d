/// A node's state as people read it.
public enum NodeStateName: String, Hashable, Sendable, Codable {
    /// Takes work.
    case up
    /// Drained by an admin, still running jobs: takes no new ones.
    case draining
    /// Drained by an admin and idle: ready for maintenance.
    case drained
    /// Not reachable: its agent never registered since the controller started, or stopped heartbeating.
    case down
    /// Its agent registered hardware that differs from cluster.yaml (the reason says how): takes no work.
    case invalid
}

/// GPUs of one NUMA domain of a node.
public struct NUMAGPUs: Hashable, Sendable, Codable {
    public var numa: Int
    public var used: Int
    public var free: Int

    public init(numa: Int, used: Int, free: Int) {
        self.numa = numa
        self.used = used
        self.free = free
    }
}

/// A node as `GET /v1/nodes` shows it.
public struct NodeView: Hashable, Sendable, Codable {
    public var name: String
    public var type: String
    public var state: NodeStateName
    /// Why it is not up, as the admin (or the controller) said.
    public var reason: String?
    /// Who set the state; nil for a node never changed.
    public var actor: String?
    /// When the state was set, in seconds since the epoch; nil for a node never changed.
    public var since: Int64?
    /// Jobs holding resources on it.
    public var jobs: Int
    /// GPUs used and free per NUMA domain (domains without GPUs left out).
    public var gpus: [NUMAGPUs]
    /// How many more 1-, 2-, 4- and 8-GPU jobs fit on it now, keyed by size; 0 when it takes no work.
    public var freeShapes: [String: Int]
    /// Seconds since the node's agent was last heard from; nil when it has not been since the controller
    /// started.
    public var lastHeartbeatAge: Double?
    /// The reservation whose window holds the node now (jobs of other accounts are kept off it).
    public var reservation: String?

    public init(
        name: String, type: String, state: NodeStateName, reason: String?, actor: String?, since: Int64?, jobs: Int,
        gpus: [NUMAGPUs], freeShapes: [String: Int], lastHeartbeatAge: Double? = nil, reservation: String? = nil
    ) {
        self.lastHeartbeatAge = lastHeartbeatAge
        self.reservation = reservation
        self.name = name
        self.type = type
        self.state = state
        self.reason = reason
        self.actor = actor
        self.since = since
        self.jobs = jobs
        self.gpus = gpus
        self.freeShapes = freeShapes
    }
}
