/// A job as the controller records it: what was asked, where it is in its life, and what happened.
///
/// Times are recorded in milliseconds since the epoch (`submitMillis`, `startMillis`, `endMillis`,
/// `releasedMillis`); `submitTime`, `startTime` and `endTime` are the same moments in whole seconds (the
/// floor), as the engine plans. They always come from the caller (the engine reads no clock).
/// Change `state` only through `JobLifecycle.apply(_:to:)`, which keeps the fields consistent.
public struct Job: Hashable, Sendable, Codable {
    /// The controller's id, assigned at submission; ids only grow.
    public var id: Int64
    public var name: String
    public var user: String
    public var account: String
    public var partition: String
    public var request: ResourceRequest
    public var timeLimit: TimeSpan
    public var state: JobState
    /// When it was submitted.
    public var submitMillis: Int64
    /// When it last started, placement committed (a requeued job starts again); nil while pending.
    public var startMillis: Int64?
    /// When it ended: its last run's end as its agent reports it (`JobLifecycle.Event.exit`), or, where no
    /// agent reports one, when the controller ended it (a lost node, a cancel while pending); nil until it
    /// is final.
    public var endMillis: Int64?
    /// When the controller gave its last run's allocation back to the engine (the GPUs were free from
    /// then); nil while it holds one, and for a job that never held one.
    public var releasedMillis: Int64?
    /// The main process's exit status, when it exited normally.
    public var exitCode: Int32?
    /// The signal that ended the main process, when one did.
    public var signal: Int32?
    /// Where it runs, or ran: kept after the end so `show` can say where a finished job was.
    public var allocation: AllocationView?
    /// Why a pending job waits, in words from the engine; nil otherwise.
    public var pendingReason: String?
    /// How an ended job ended, in words, when the state alone does not say ("node dgx03 lost").
    public var endReason: String?
    /// A stop asked for but not yet confirmed by the job's exit (cancel, time limit, requeue).
    public var stopRequest: JobStopRequest?
    /// How many times it went back to pending after it had started.
    public var requeueCount: Int
    /// Fail, rather than requeue, when its node is lost.
    public var noRequeue: Bool
    public var command: [String]
    public var workdir: String
    /// Output file template; nil for the default.
    public var output: String?
    /// Which task of which job array it is; nil for a job not in an array.
    public var array: ArrayTask?
    /// What it waits for besides resources (`afterok:12`); nil for none.
    public var dependency: JobDependency?
    /// The environment its submitter exported into it, name to value; nil where it was not read (the
    /// controller's store reads it for jobs it runs and for one job at a time, not for lists).
    public var environment: [String: String]?
    /// What its last run used, from the run's cgroup on its first node: CPU time in seconds and peak memory
    /// in bytes; nil when that run was not confined (or has not ended).
    public var cpuSeconds: Double?
    public var peakMemoryBytes: UInt64?
    /// A hold, a begin time, a nice value, and how its run is handled.
    public var controls: JobControls

    public init(
        id: Int64, name: String, user: String, account: String, partition: String, request: ResourceRequest,
        timeLimit: TimeSpan, state: JobState = .pending, submitted: Timestamp, started: Timestamp? = nil,
        ended: Timestamp? = nil, released: Timestamp? = nil, exitCode: Int32? = nil, signal: Int32? = nil,
        allocation: AllocationView? = nil,
        pendingReason: String? = nil, endReason: String? = nil, stopRequest: JobStopRequest? = nil,
        requeueCount: Int = 0, noRequeue: Bool = false, command: [String], workdir: String, output: String? = nil,
        array: ArrayTask? = nil, dependency: JobDependency? = nil, environment: [String: String]? = nil,
        controls: JobControls = JobControls()
    ) {
        self.id = id
        self.name = name
        self.user = user
        self.account = account
        self.partition = partition
        self.request = request
        self.timeLimit = timeLimit
        self.state = state
        self.submitMillis = submitted.millis
        self.startMillis = started?.millis
        self.endMillis = ended?.millis
        self.releasedMillis = released?.millis
        self.exitCode = exitCode
        self.signal = signal
        self.allocation = allocation
        self.pendingReason = pendingReason
        self.endReason = endReason
        self.stopRequest = stopRequest
        self.requeueCount = requeueCount
        self.noRequeue = noRequeue
        self.command = command
        self.workdir = workdir
        self.output = output
        self.array = array
        self.dependency = dependency
        self.environment = environment
        self.controls = controls
    }

    /// A new pending job from a submission.
    public init(id: Int64, submission s: JobSubmission, submitted: Timestamp) {
        self.init(
            id: id, name: s.name, user: s.user, account: s.account, partition: s.partition, request: s.request,
            timeLimit: s.timeLimit, submitted: submitted, noRequeue: s.noRequeue, command: s.command,
            workdir: s.workdir, output: s.output, array: s.array, dependency: s.dependency,
            environment: s.environment, controls: s.controls)
    }

    /// `submitMillis` in whole seconds (the floor).
    public var submitTime: Int64 { Timestamp.seconds(ofMillis: submitMillis) }
    /// `startMillis` in whole seconds (the floor).
    public var startTime: Int64? { startMillis.map(Timestamp.seconds(ofMillis:)) }
    /// `endMillis` in whole seconds (the floor).
    public var endTime: Int64? { endMillis.map(Timestamp.seconds(ofMillis:)) }

    /// The nodes it holds while running (from its allocation); empty when it holds none.
    public var nodes: [String] { allocation?.nodes.map(\.node) ?? [] }
}
