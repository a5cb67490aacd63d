/// The body of `POST /v1/agents/{node}/register`: what the agent found on its node and the runs it knows.
///
/// An agent registers when it starts, and again whenever a reply says `reregister` (the controller
/// restarted, or declared the node down while the agent could not reach it).
public struct AgentRegistration: Hashable, Sendable, Codable {
    /// The node the agent stands for, as cluster.yaml names it (the same as in the path).
    public var node: String
    /// What discovery found (live, or from `--topology FILE` for a stand-in node).
    public var discovered: DiscoveredNode
    /// Every run the agent knows that the controller has not acknowledged as ended: running ones, and
    /// ended ones whose end the controller may not have recorded yet.
    public var runs: [RunStatus]
    /// The agent's version, for the logs.
    public var version: String?

    public init(node: String, discovered: DiscoveredNode, runs: [RunStatus], version: String? = nil) {
        self.node = node
        self.discovered = discovered
        self.runs = runs
        self.version = version
    }
}

/// The answer to a registration.
public struct AgentRegistrationReply: Hashable, Sendable, Codable {
    public var node: String
    /// Whether the controller places jobs on this node: false when the hardware differs from cluster.yaml
    /// (`differences` says how; the node stays out of service with that reason until it matches).
    public var accepted: Bool
    /// Every difference between what the agent found and cluster.yaml; warnings alone keep it accepted.
    public var differences: [NodeDifference]
    /// How long the agent should wait between heartbeats at most, in seconds; the node is declared down
    /// after `downAfterSeconds` without one.
    public var heartbeatSeconds: Double
    public var downAfterSeconds: Double
    /// The agent's lease, in seconds: an agent that has had no answer to a request sent this long ago stops
    /// every run itself, and launches nothing until it has registered again (docs/agent.md, "Fencing").
    /// Nil from a controller that does not fence: the agent then never stops runs on its own.
    public var leaseSeconds: Double?
    /// SIGTERM to SIGKILL for runs stopped because the lease lapsed, in seconds. The controller declares a
    /// node down no sooner than `leaseSeconds + killGraceSeconds` (plus a margin) after it last heard it.
    public var killGraceSeconds: Double?
    /// What to do now (runs to start or stop, ends acknowledged), as in a heartbeat reply.
    public var orders: AgentOrders

    public init(
        node: String, accepted: Bool, differences: [NodeDifference], heartbeatSeconds: Double,
        downAfterSeconds: Double, leaseSeconds: Double? = nil, killGraceSeconds: Double? = nil, orders: AgentOrders
    ) {
        self.node = node
        self.accepted = accepted
        self.differences = differences
        self.heartbeatSeconds = heartbeatSeconds
        self.downAfterSeconds = downAfterSeconds
        self.leaseSeconds = leaseSeconds
        self.killGraceSeconds = killGraceSeconds
        self.orders = orders
    }
}
