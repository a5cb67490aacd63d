import Prometheus
import Scheduler
import Synchronization

/// The controller's Prometheus metrics (`GET /metrics`), on swift-prometheus.
///
/// Counters and the latency histogram are updated as things happen; gauges (jobs by state, GPUs, free
/// shapes, fragmentation, heartbeat ages) are set from a `MetricsSnapshot` just before each scrape.
public final class ControllerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    /// Submissions accepted (recorded on disk).
    public let submissions: Counter
    /// Nodes declared down for silence.
    public let nodesLost: Counter
    let jobsStarted: Counter
    let passLatency: ValueHistogram
    /// Accounts whose GPUs-allocated gauge was ever set.
    private let seenAccounts = Mutex<Set<String>>([])

    public init() {
        submissions = registry.makeCounter(
            name: "raspored_submissions_total", help: "Job submissions accepted and committed to the state store.")
        nodesLost = registry.makeCounter(
            name: "raspored_nodes_lost_total", help: "Nodes declared down because their agent went silent.")
        jobsStarted = registry.makeCounter(
            name: "raspored_jobs_started_total", help: "Jobs started (placed and committed).")
        passLatency = registry.makeValueHistogram(
            name: "raspored_scheduling_pass_seconds",
            buckets: [0.000_01, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
            help: "Duration of one scheduling pass (placing pending jobs), in seconds.")
    }

    /// Records one scheduling pass.
    func schedulingPass(seconds: Double, started: Int) {
        passLatency.record(seconds)
        if started > 0 { jobsStarted.increment(by: Int64(started)) }
    }

    /// Counts a run that ended: its GPU-seconds to its account.
    func runEnded(_ run: JobRun) {
        registry.makeCounter(
            name: "raspored_account_gpu_seconds_total", labels: [("account", run.account)],
            help: "GPU-seconds held by the account's runs that ended (start to end, every run of a requeued job)."
        )
        .increment(by: run.gpuSeconds)
    }

    /// Counts a job that ended, by its account and final state.
    func jobEnded(account: String, state: JobState) {
        registry.makeCounter(
            name: "raspored_account_jobs_ended_total", labels: [("account", account), ("state", state.rawValue)],
            help: "Jobs that ended, by account and final state (completed, failed, cancelled, timeout)."
        )
        .increment()
    }

    /// Sets the gauges from `s` and renders every metric in Prometheus' text format.
    public func render(_ s: MetricsSnapshot) -> String {
        for (state, n) in s.jobsByState {
            registry.makeGauge(name: "raspored_jobs", labels: [("state", state)], help: "Jobs by state.").set(Double(n))
        }
        for n in s.nodes {
            registry.makeGauge(
                name: "raspored_gpus_allocated", labels: [("node", n.name)], help: "GPUs allocated, per node."
            )
            .set(Double(n.gpusAllocated))
            registry.makeGauge(name: "raspored_gpus_free", labels: [("node", n.name)], help: "GPUs free, per node.")
                .set(Double(n.gpusFree))
            registry.makeGauge(
                name: "raspored_node_up", labels: [("node", n.name), ("state", n.state)],
                help: "1 for the node's current state (up, draining, drained, down, invalid)."
            )
            .set(Double(1))
            for other in ["up", "draining", "drained", "down", "invalid"] where other != n.state {
                registry.makeGauge(
                    name: "raspored_node_up", labels: [("node", n.name), ("state", other)],
                    help: "1 for the node's current state (up, draining, drained, down, invalid)."
                )
                .set(Double(0))
            }
            registry.makeGauge(
                name: "raspored_heartbeat_age_seconds", labels: [("node", n.name)],
                help: "Seconds since the node's agent was last heard from (-1: not since the controller started)."
            )
            .set(n.heartbeatAge ?? -1)
        }
        for (size, n) in s.freeShapes {
            registry.makeGauge(
                name: "raspored_free_shapes", labels: [("gpus", String(size))],
                help: "How many more jobs of this many GPUs fit now."
            )
            .set(Double(n))
        }
        // An account that held GPUs at an earlier scrape and holds none now reads 0, not its last value.
        let accounts = seenAccounts.withLock { seen in
            seen.formUnion(s.gpusByAccount.keys)
            return seen
        }
        for account in accounts.sorted() {
            let gpus = s.gpusByAccount[account] ?? 0
            registry.makeGauge(
                name: "raspored_account_gpus_allocated", labels: [("account", account)],
                help: "GPUs the account's running jobs hold now."
            )
            .set(Double(gpus))
        }
        registry.makeGauge(
            name: "raspored_idle_gpu_jobs", help: "Running jobs flagged as holding idle GPUs (schedctl idle)."
        )
        .set(Double(s.idleGPUJobs))
        registry.makeGauge(name: "raspored_idle_gpus", help: "GPUs held by the jobs flagged as idle.")
            .set(Double(s.idleGPUs))
        registry.makeGauge(name: "raspored_gpus_total", help: "GPUs on nodes that take work.").set(Double(s.totalGPUs))
        registry.makeGauge(
            name: "raspored_fragmentation", help: "Share of free GPUs that the expected job mix cannot use (0..1)."
        )
        .set(s.fragmentation)
        registry.makeGauge(name: "raspored_pending_jobs", help: "Jobs waiting in the queue.").set(Double(s.pending))
        return registry.emitToString()
    }
}

/// What the gauges show, taken from the controller's state at scrape time.
public struct MetricsSnapshot: Sendable {
    public struct Node: Sendable {
        public var name: String
        public var state: String
        public var gpusAllocated: Int
        public var gpusFree: Int
        public var heartbeatAge: Double?
    }

    public var jobsByState: [String: Int]
    public var nodes: [Node]
    public var freeShapes: [Int: Int]
    public var totalGPUs: Int
    public var fragmentation: Double
    public var pending: Int
    /// GPUs held by each account's running jobs (the accounts of cluster.yaml with 0 when they hold none).
    public var gpusByAccount: [String: Int] = [:]
    /// Running jobs flagged as holding idle GPUs, and the GPUs they hold.
    public var idleGPUJobs = 0
    public var idleGPUs = 0
}
