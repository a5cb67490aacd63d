/// A job as the simulator replays it: when it arrives, how long it runs on the reference GPU model (the
/// H200; see `GPUSpeed`), its time limit and request.
public struct SimulatedJob: Sendable, Hashable {
    public var id: Int64
    /// Seconds from the start of the trace.
    public var submit: Int64
    /// Runtime at reference speed, in seconds.
    public var duration: Int64
    /// The run is cut at this many seconds (a job that hits it ends as timed out).
    public var timeLimit: Int64
    public var request: ResourceRequest
    public var account: String

    public init(
        id: Int64, submit: Int64, duration: Int64, timeLimit: Int64, request: ResourceRequest, account: String = ""
    ) {
        self.id = id
        self.submit = submit
        self.duration = duration
        self.timeLimit = timeLimit
        self.request = request
        self.account = account
    }

    /// GPUs the job holds when it runs, when the request gives a count (GPU-memory requests resolve at
    /// placement).
    var gpuCount: Int? { request.gpuCount }
}

/// What happened to one job.
public struct SimulatedOutcome: Sendable, Hashable {
    public var id: Int64
    public var submit: Int64
    /// Nil for a job that never started (it can never fit this cluster, or the run ended first).
    public var start: Int64?
    public var end: Int64?
    public var gpus: Int
    public var account: String
    /// The engine's reason for a job that can never run on this cluster.
    public var neverFits: String?
    public var timedOut: Bool
    /// Runs lost to node failures before the one that ended.
    public var interruptions = 0

    public var wait: Int64? { start.map { $0 - submit } }
}
