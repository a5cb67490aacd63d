/// One job of a workload: when it arrives, how long it really runs, and what it asks for.
///
/// Times are seconds relative to the start of the trace. `duration` is the job's actual run time at
/// reference speed (the GPU it ran on in the trace); the simulator scales it by the relative speed of
/// the GPU model a job lands on. The time limit lives in `request.time`, as it does for a real job.
public struct TraceJob: Hashable, Sendable {
    /// Unique within its workload.
    public var id: String
    /// Arrival, in seconds after the start of the trace (not negative).
    public var submit: Double
    /// Actual run time in seconds at reference speed (not negative).
    public var duration: Double
    /// What the job asks for: GPUs, GPU memory or model, CPUs, memory, nodes, partition, account, time limit.
    public var request: ResourceRequest
    /// Who submitted it; nil when the trace does not say.
    public var user: String?
    /// How long it held its GPUs past the end of its run on the cluster the trace comes from (launch and exit
    /// report), in seconds; nil: the simulation's own setting (`--hold-overhead`) applies.
    public var hold: Double?

    public init(
        id: String, submit: Double, duration: Double, request: ResourceRequest, user: String? = nil, hold: Double? = nil
    ) {
        self.id = id
        self.submit = submit
        self.duration = duration
        self.request = request
        self.user = user
        self.hold = hold
    }

    /// The time limit the job was submitted with; nil: the partition's default.
    public var timeLimit: TimeSpan? {
        get { request.time }
        set { request.time = newValue }
    }

    /// The latest arrival and the longest run a trace may give, in seconds: 100 years (`TimeSpan.longestParsed`),
    /// so that arrivals, runs and their sums stay exact in the simulator's whole seconds.
    public static let longestTime = Double(TimeSpan.longestParsed)
    /// The longest hold a trace may give, in seconds: an hour (a launch or exit report takes milliseconds).
    public static let longestHold = 3600.0

    /// GPUs counted for offered load: the requested count; 0 for a job that asks by GPU memory (its
    /// count depends on the model it lands on) or for none.
    public var gpuCount: Int { request.gpus ?? 0 }
}
