/// How the controller runs: agents, timeouts, where output goes.
public struct ControllerSettings: Sendable {
    /// Place jobs only on nodes whose agent is registered and heartbeating (production). Off, every node
    /// in cluster.yaml takes work without an agent (tests of the core alone).
    public var requireAgents: Bool
    /// Longest wait between an agent's heartbeats (its long poll's length), in seconds.
    public var heartbeatSeconds: Double
    /// A node whose agent has not been heard from for this long is DOWN and its jobs are requeued (or
    /// failed, for `noRequeue` jobs). After a controller restart, nodes get this long to re-register.
    public var downAfterSeconds: Double
    /// Requeue the jobs of a node declared down (the default), rather than fail them.
    public var requeueOnNodeLoss: Bool
    /// A running job past its time limit by this much without its agent having stopped it is stopped by
    /// the controller (a backstop: agents enforce limits themselves).
    public var timeLimitGraceSeconds: Int64
    /// Where jobs' output shipped by agents is kept; nil keeps none.
    public var outputDirectory: String?
    /// At most this many pending jobs (in queue order) get an estimated start.
    public var estimateLimit: Int

    public init(
        requireAgents: Bool = true, heartbeatSeconds: Double = 5, downAfterSeconds: Double = 30,
        requeueOnNodeLoss: Bool = true, timeLimitGraceSeconds: Int64 = 60, outputDirectory: String? = nil,
        estimateLimit: Int = 2000
    ) {
        self.requireAgents = requireAgents
        self.heartbeatSeconds = heartbeatSeconds
        self.downAfterSeconds = downAfterSeconds
        self.requeueOnNodeLoss = requeueOnNodeLoss
        self.timeLimitGraceSeconds = timeLimitGraceSeconds
        self.outputDirectory = outputDirectory
        self.estimateLimit = estimateLimit
    }
}
