import Scheduler

/// A job as the API shows it (`GET /v1/jobs/{id}`, and every job endpoint's answer).
///
/// Times are seconds since the epoch (`submitTime`: the floor of `submitMillis`, and so on), or milliseconds
/// since the epoch in the fields named `...Millis`; `timeLimit` is in seconds; sizes inside `request` and
/// `allocation` are bytes.
public struct JobView: Hashable, Sendable, Codable {
    public var id: Int64
    /// The id as people write it: "42", or "42_7" for task 7 of array 42 (always set by the controller).
    public var displayId: String?
    /// For a task of a job array: the array's id (its first task's id), the task's index, and the array in
    /// Slurm's syntax ("0-99%8").
    public var arrayJobId: Int64?
    public var arrayTaskId: Int?
    public var array: String?
    /// How many tasks the array has.
    public var arrayTaskCount: Int?
    /// What it waits for besides resources, in Slurm's syntax ("afterok:12"), as submitted.
    public var dependency: String?
    public var name: String
    public var user: String
    public var account: String
    public var partition: String
    public var state: JobState
    /// The request as submitted.
    public var request: ResourceRequest
    /// The time limit in force, in seconds (the partition's default when the request gave none).
    public var timeLimit: Int64
    public var command: [String]
    public var workdir: String
    public var output: String?
    /// Where it runs, or ran; nil while pending.
    public var allocation: AllocationView?
    /// Why a pending job waits, in the engine's words.
    public var pendingReason: String?
    /// When a pending job is expected to start; nil until the controller estimates starts.
    public var estimatedStart: Int64?
    /// How an ended job ended, when the state alone does not say.
    public var endReason: String?
    /// What the job's last run used, from its cgroup (absent when it was not confined or has not ended):
    /// CPU time in seconds, peak memory in bytes.
    public var cpuSeconds: Double?
    public var peakMemoryBytes: UInt64?
    /// A stop asked for and not yet confirmed by the job's exit: "cancel", "timeLimit" or "requeue".
    public var stopRequested: String?
    public var submitTime: Int64
    public var startTime: Int64?
    public var endTime: Int64?
    /// When it was submitted, in milliseconds.
    public var submitMillis: Int64
    /// When its last run started (placement committed), in milliseconds; nil while pending.
    public var startMillis: Int64?
    /// When it ended, in milliseconds: its last run's end as its agent reported it, or, where no agent
    /// reported one, when the controller ended it; nil until it is final.
    public var endMillis: Int64?
    /// When the controller gave its last run's allocation back (its GPUs free from then), in milliseconds;
    /// nil while it holds one and for a job that never held one.
    public var releasedMillis: Int64?
    public var exitCode: Int32?
    public var signal: Int32?
    public var requeueCount: Int
    public var noRequeue: Bool
    /// A pending job's priority, from the controller's queue book at the time of the answer.
    public var priority: PriorityView?
    /// How many variables its submitter exported into its environment (their values are not shown: they
    /// may hold secrets). In the answers about one job or one array; nil in other lists.
    public var environmentCount: Int?
    /// In a list asked for with `collapse=true`: this pending array task stands for these tasks of its array
    /// (itself included), consecutive and waiting for the same reason, in Slurm's syntax ("48-9999").
    public var collapsedTasks: String?
    /// Its hold, begin time, nice value, warning signal, kill grace, stderr file, open mode and submit
    /// directory; absent when all are the defaults.
    public var controls: JobControls?
    /// In `GET /v1/history` answers: its runs that ended, oldest first (a requeued job has one per run; a
    /// job that ended before runs were recorded, only its last).
    public var runs: [JobRun]?
    /// In `GET /v1/history` answers: the GPU-seconds its runs held, start to end, a run still going counted
    /// up to the answer.
    public var gpuSeconds: Double?
    /// A running job's latest sample on each of its nodes (by node name), as its agents took it: CPU time,
    /// memory, and each GPU's utilisation, memory and power; absent until sampled.
    public var usage: [String: RunUsage]?
    /// Since when every sampled GPU of a running job has been under the controller's idle threshold (seconds
    /// since the epoch), and whether that has lasted past the threshold's time (`schedulerd --idle-gpu-after`).
    public var gpusIdleSince: Double?
    public var gpusIdle: Bool?

    public init(_ job: Job, estimatedStart: Int64? = nil, priority: PriorityView? = nil) {
        id = job.id
        displayId = job.array.map(\.description) ?? "\(job.id)"
        arrayJobId = job.array?.arrayJobId
        arrayTaskId = job.array?.taskId
        array = job.array?.arrayText
        arrayTaskCount = job.array?.taskCount
        dependency = job.dependency?.description
        name = job.name
        user = job.user
        account = job.account
        partition = job.partition
        state = job.state
        request = job.request
        timeLimit = job.timeLimit.seconds
        command = job.command
        workdir = job.workdir
        output = job.output
        allocation = job.allocation
        pendingReason = job.pendingReason
        self.estimatedStart = estimatedStart
        endReason = job.endReason
        cpuSeconds = job.cpuSeconds
        peakMemoryBytes = job.peakMemoryBytes
        stopRequested = job.stopRequest?.kind.rawValue
        submitTime = job.submitTime
        startTime = job.startTime
        endTime = job.endTime
        submitMillis = job.submitMillis
        startMillis = job.startMillis
        endMillis = job.endMillis
        releasedMillis = job.releasedMillis
        exitCode = job.exitCode
        signal = job.signal
        requeueCount = job.requeueCount
        noRequeue = job.noRequeue
        self.priority = priority
        environmentCount = job.environment?.count
        controls = job.controls.isDefault ? nil : job.controls
    }
}

extension JobView {
    /// How people name it: `42_7` for an array task, else its id.
    public var reference: JobReference {
        if let a = arrayJobId, let t = arrayTaskId { return .task(array: a, index: t) }
        return .job(id)
    }

    /// Whether this is the first task of an array, whose id is the array's id.
    public var isArrayHead: Bool { arrayJobId == id }
}
