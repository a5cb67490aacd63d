/// A job as the simulator replays it: when it arrives, how long it runs on the reference GPU model (the
/// H200; see `GPUSpeed`), its time limit and request.
///
/// Arrivals and runs are kept to the millisecond, as the controller records them; the time limit is whole
/// seconds, as jobs are submitted with.
public struct SimulatedJob: Sendable, Hashable {
    public var id: Int64
    /// Milliseconds from the start of the trace.
    public var submitMillis: Int64
    /// Runtime at reference speed, in milliseconds.
    public var durationMillis: Int64
    /// The run is cut at this many seconds (a job that hits it ends as timed out).
    public var timeLimit: Int64
    public var request: ResourceRequest
    public var account: String
    /// How long it holds its GPUs past its run, in milliseconds, where the trace says (what it held on the
    /// cluster the trace comes from); nil: `Simulator.Options.holdOverheadMillis`.
    public var holdMillis: Int64?

    public init(
        id: Int64, submitMillis: Int64, durationMillis: Int64, timeLimit: Int64, request: ResourceRequest,
        account: String = "", holdMillis: Int64? = nil
    ) {
        self.id = id
        self.submitMillis = submitMillis
        self.durationMillis = durationMillis
        self.timeLimit = timeLimit
        self.request = request
        self.account = account
        self.holdMillis = holdMillis
    }

    /// A job whose arrival and run are whole seconds.
    public init(
        id: Int64, submit: Int64, duration: Int64, timeLimit: Int64, request: ResourceRequest, account: String = ""
    ) {
        self.init(
            id: id, submitMillis: submit * 1000, durationMillis: duration * 1000, timeLimit: timeLimit,
            request: request, account: account)
    }

    /// GPUs the job holds when it runs, when the request gives a count (GPU-memory requests resolve at
    /// placement).
    var gpuCount: Int? { request.gpuCount }
}

/// What happened to one job. Times are milliseconds from the start of the trace.
public struct SimulatedOutcome: Sendable, Hashable {
    /// How a job's replay ended.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Its run ended before its time limit.
        case completed
        /// Its run was cut at its time limit.
        case timeout
        /// It can never run on this cluster (`neverFits` says why).
        case neverFits = "never-fits"
        /// It never started: the replay ended with it still waiting (nothing left that could start it, such
        /// as an account limit that only time outside the replay would free).
        case cancelled
    }

    public var id: Int64
    public var submitMillis: Int64
    /// Nil for a job that never started (it can never fit this cluster, or the run ended first).
    public var startMillis: Int64?
    /// The end of its run; its GPUs come back its hold later (`SimulatedJob.holdMillis`, else
    /// `Simulator.Options.holdOverheadMillis`).
    public var endMillis: Int64?
    public var gpus: Int
    public var account: String
    /// The engine's reason for a job that can never run on this cluster.
    public var neverFits: String?
    public var timedOut: Bool
    /// Runs lost to node failures before the one that ended.
    public var interruptions = 0
    /// Where its last run was, as `node:gpus` pairs joined by `;` (`dgx01:0-3;dgx02:0-3`); nil when the run
    /// kept no placements (`Simulator.Options.recordsPlacements`) or the job never ran.
    public var placement: String?

    /// Seconds from its arrival to its start.
    public var wait: Double? { startMillis.map { Double($0 - submitMillis) / 1000 } }
    /// Seconds from its start to the end of its run.
    public var runTime: Double? { startMillis.flatMap { s in endMillis.map { Double($0 - s) / 1000 } } }

    public var kind: Kind {
        if neverFits != nil { return .neverFits }
        if startMillis == nil || endMillis == nil { return .cancelled }
        return timedOut ? .timeout : .completed
    }
}
