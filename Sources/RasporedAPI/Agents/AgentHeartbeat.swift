import Scheduler

/// The body of `POST /v1/agents/{node}/heartbeat?wait=SECONDS`.
///
/// The reply carries orders. With `wait` > 0 the controller holds the request until it has orders for the
/// node or `wait` seconds pass (a long poll), so an assignment reaches an idle agent at once; the agent
/// keeps one such request open and sends `wait=0` heartbeats to report a run's start or end the moment it
/// happens. Every heartbeat counts as a sign of life.
public struct AgentHeartbeat: Hashable, Sendable, Codable {
    /// Every run the agent knows that the controller has not acknowledged as ended (see registration).
    public var runs: [RunStatus]

    public init(runs: [RunStatus]) { self.runs = runs }
}

/// What the controller wants a node's agent to do. Orders are idempotent: the controller repeats a launch
/// until the agent reports the run, and a stop until the run has ended; the agent ignores a launch of a run
/// it already knows and a stop of one already ended.
public struct AgentOrders: Hashable, Sendable, Codable {
    public var launch: [RunAssignment]
    public var stop: [StopOrder]
    /// Ended runs whose end the controller has recorded: the agent stops reporting them (and may delete
    /// their records).
    public var acknowledged: [String]
    /// The controller does not know this agent (it restarted, or declared the node down): register again.
    public var reregister: Bool
    /// Signals for running runs (`schedctl cancel --signal`); absent means none.
    public var signal: [SignalOrder]?
    /// Steps to start in runs of this node (a client waits on each); absent when none.
    public var steps: [StepOrder]?

    public init(
        launch: [RunAssignment] = [], stop: [StopOrder] = [], acknowledged: [String] = [], reregister: Bool = false,
        signal: [SignalOrder]? = nil, steps: [StepOrder]? = nil
    ) {
        self.launch = launch
        self.stop = stop
        self.acknowledged = acknowledged
        self.reregister = reregister
        self.signal = signal
        self.steps = steps
    }

    /// Nothing to do.
    public var isEmpty: Bool {
        launch.isEmpty && stop.isEmpty && acknowledged.isEmpty && !reregister && (signal ?? []).isEmpty
            && (steps ?? []).isEmpty
    }
}

/// A run to start on this node: the job, and exactly which of the node's resources it gets.
public struct RunAssignment: Hashable, Sendable, Codable {
    public var runId: String
    public var jobId: Int64
    public var name: String
    /// Who submitted it.
    public var user: String
    public var command: [String]
    public var workdir: String
    /// Output file template (`%j` job id, `%x` name, `%N` host, `%A` array id, `%a` task index); nil for
    /// `raspored-%j.out`.
    public var output: String?
    /// This node's share of the allocation (GPU indices, engine core ids, NUMA domain positions, memory
    /// per domain, NICs), as the engine chose it.
    public var allocation: NodeAllocationView
    /// Every node of the job, in rank order; this node's rank is its position.
    public var nodeList: [String]
    /// The time limit in seconds: the agent stops the run when it is reached.
    public var timeLimitSeconds: Int64
    /// The job's whole environment but for what the agent's launcher adds (`CUDA_VISIBLE_DEVICES`,
    /// `RASPORED_JOB_ID`, …): what its submitter exported, with the scheduler's `RASPORED_ACCOUNT`,
    /// `RASPORED_PARTITION` and `RASPORED_USER` over it. The agent adds nothing of its own.
    public var environment: [String: String]
    /// For a task of a job array: which, and its array's shape (the agent exports Slurm's `SLURM_ARRAY_*`
    /// variables and expands `%A`, `%a`); nil otherwise.
    public var array: ArrayTask?
    /// The job may run as an account with uid 0 on the node (cluster.yaml's `rootUsers` names `user`);
    /// absent means no. An agent refuses a uid-0 account otherwise.
    public var allowRoot: Bool?
    /// A separate stderr file template (as `output`); absent sends stderr to the output file.
    public var error: String?
    /// Empty the output files when opening them (the job's first run, unless it asked to append); absent
    /// means append.
    public var truncateOutput: Bool?
    /// A signal to send this long before the time limit (`--signal`); absent means none.
    public var warning: WarningSignal?
    /// Seconds between SIGTERM and SIGKILL when the run is stopped (cancel, time limit); absent means the
    /// agent's own grace.
    public var killGraceSeconds: Int?
    /// A credential for this run alone (`rsj_…`): the agent gives it to the job as `RASPORED_JOB_TOKEN`, so
    /// `srun` inside it can start steps in this job, and nothing else; it dies with the run.
    public var stepCredential: String?
    /// The job's tasks (`--ntasks-per-node`, …): its steps' default and its `SLURM_NTASKS*` variables; absent
    /// means one task per node.
    public var tasks: TaskLayout?

    public init(
        runId: String, jobId: Int64, name: String, user: String, command: [String], workdir: String,
        output: String?, allocation: NodeAllocationView, nodeList: [String], timeLimitSeconds: Int64,
        environment: [String: String] = [:], array: ArrayTask? = nil
    ) {
        self.runId = runId
        self.jobId = jobId
        self.name = name
        self.user = user
        self.command = command
        self.workdir = workdir
        self.output = output
        self.allocation = allocation
        self.nodeList = nodeList
        self.timeLimitSeconds = timeLimitSeconds
        self.environment = environment
        self.array = array
    }

    /// This node's rank in `nodeList`.
    public var nodeRank: Int { nodeList.firstIndex(of: allocation.node) ?? 0 }
}

/// A signal for a running run: to its whole process group, or only its first process (`batchOnly`).
public struct SignalOrder: Hashable, Sendable, Codable {
    public var runId: String
    public var signal: Int32
    public var batchOnly: Bool

    public init(runId: String, signal: Int32, batchOnly: Bool = false) {
        self.runId = runId
        self.signal = signal
        self.batchOnly = batchOnly
    }
}

/// A run to stop: SIGTERM to its process group, SIGKILL after the grace period.
public struct StopOrder: Hashable, Sendable, Codable {
    public enum Why: String, Hashable, Sendable, Codable {
        /// A user or admin cancelled the job.
        case cancel
        /// The controller's clock says the time limit passed (the agent normally stops it first).
        case timeLimit
        /// An admin requeued the job, or the controller requeues it.
        case requeue
        /// The controller has no such run on this node (a stale run from before a restart or a node loss).
        case unknown
    }

    public var runId: String
    public var why: Why
    /// In words, for the run's record.
    public var message: String

    public init(runId: String, why: Why, message: String) {
        self.runId = runId
        self.why = why
        self.message = message
    }
}
