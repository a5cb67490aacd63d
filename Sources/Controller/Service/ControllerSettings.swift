import RasporedAPI

/// How the controller runs: agents, timeouts, where output goes.
public struct ControllerSettings: Sendable {
    /// Place jobs only on nodes whose agent is registered and heartbeating (production). Off, every node
    /// in cluster.yaml takes work without an agent (tests of the core alone).
    public var requireAgents: Bool
    /// Longest wait between an agent's heartbeats (its long poll's length), in seconds.
    public var heartbeatSeconds: Double
    /// An agent that has had no answer to a request it sent this long ago stops its runs itself (SIGTERM,
    /// SIGKILL `killGraceSeconds` later) and launches nothing until it has registered again. A controller
    /// restart or outage shorter than this stops nothing.
    public var leaseSeconds: Double
    /// SIGTERM to SIGKILL for runs an agent stops because its lease lapsed.
    public var killGraceSeconds: Double
    /// A node whose agent has not been heard from for this long is DOWN and its jobs are requeued (or
    /// failed, for `noRequeue` jobs). After a controller restart, nodes get this long to re-register. At
    /// least `leaseSeconds + killGraceSeconds + heartbeatSeconds` (see `fencingProblems`), so a silent
    /// node's runs are gone before their copies start elsewhere.
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
    /// Ended jobs are deleted from the store (with their runs) this many seconds after they ended
    /// (`HistoryPurger`); nil keeps them for ever.
    public var historyRetentionSeconds: Int64?
    /// A running job whose every sampled GPU stays under `idleGPUUtilization` percent for
    /// `idleGPUAfterSeconds` is flagged as holding idle GPUs (0: never).
    public var idleGPUUtilization: Double = 5
    public var idleGPUAfterSeconds: Double = 3600
    /// A program run once for each job newly flagged (`IdleGPUHook`); nil runs none.
    public var idleGPUHook: String?

    /// The defaults: a 5-minute lease (as Slurm's default SlurmdTimeout of 300 s), so a controller restarted
    /// for an upgrade or unreachable for a few minutes stops nothing; a node failure costs 5 min 30 s
    /// before its jobs are requeued.
    public static let defaultHeartbeatSeconds: Double = 5
    public static let defaultLeaseSeconds: Double = 300
    public static let defaultKillGraceSeconds: Double = 10
    public static let defaultDownAfterSeconds: Double = 330

    public init(
        requireAgents: Bool = true, heartbeatSeconds: Double = defaultHeartbeatSeconds,
        downAfterSeconds: Double = defaultDownAfterSeconds, leaseSeconds: Double = defaultLeaseSeconds,
        killGraceSeconds: Double = defaultKillGraceSeconds, requeueOnNodeLoss: Bool = true,
        timeLimitGraceSeconds: Int64 = 60, outputDirectory: String? = nil, estimateLimit: Int = 2000,
        historyRetentionSeconds: Int64? = nil
    ) {
        self.historyRetentionSeconds = historyRetentionSeconds
        self.requireAgents = requireAgents
        self.heartbeatSeconds = heartbeatSeconds
        self.downAfterSeconds = downAfterSeconds
        self.leaseSeconds = leaseSeconds
        self.killGraceSeconds = killGraceSeconds
        self.requeueOnNodeLoss = requeueOnNodeLoss
        self.timeLimitGraceSeconds = timeLimitGraceSeconds
        self.outputDirectory = outputDirectory
        self.estimateLimit = estimateLimit
    }

    /// What is wrong with the fencing margins, one sentence per broken relation, naming schedulerd's flags;
    /// empty when they hold:
    /// - `--heartbeat` > 0, `--lease` > 0, `--kill-grace` ≥ 0;
    /// - `--lease` ≥ 2 × `--heartbeat`: an agent renews its lease about once per heartbeat, so one slow
    ///   answer must not stop its runs;
    /// - `--down-after` ≥ `--lease` + `--kill-grace` + `--heartbeat`: the controller requeues a silent
    ///   node's jobs only after its agent (or the agent's watchdog) has surely stopped them, with a margin of
    ///   one heartbeat for the watchdog's polling, the signals' delivery and the controller's sweep.
    public var fencingProblems: [String] {
        func s(_ x: Double) -> String { SecondsText.of(x) + "s" }
        var problems: [String] = []
        if !(heartbeatSeconds > 0) { problems.append("--heartbeat must be longer than 0s, not \(s(heartbeatSeconds))") }
        if !(leaseSeconds > 0) { problems.append("--lease must be longer than 0s, not \(s(leaseSeconds))") }
        if !(killGraceSeconds >= 0) { problems.append("--kill-grace must not be negative (\(s(killGraceSeconds)))") }
        guard problems.isEmpty else { return problems }
        if leaseSeconds < 2 * heartbeatSeconds {
            problems.append(
                "--lease (\(s(leaseSeconds))) must be at least twice --heartbeat (\(s(heartbeatSeconds))): agents "
                    + "renew their lease once per heartbeat, and one slow answer must not stop their jobs")
        }
        let floor = leaseSeconds + killGraceSeconds + heartbeatSeconds
        if downAfterSeconds < floor {
            problems.append(
                "--down-after (\(s(downAfterSeconds))) must be at least --lease + --kill-grace + --heartbeat "
                    + "(\(s(leaseSeconds)) + \(s(killGraceSeconds)) + \(s(heartbeatSeconds)) = \(s(floor))): a silent "
                    + "node's jobs may be requeued only once its agent has surely stopped them")
        }
        return problems
    }
}
