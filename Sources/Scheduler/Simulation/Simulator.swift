/// A discrete-event simulator that replays jobs on a cluster at virtual time with the production code:
/// the engine's `ClusterState` places, and `QueuePass` with its `QueueBook` decides, exactly as the
/// controller does at wall-clock time. Deterministic: the same cluster, jobs and options give the same
/// outcomes.
///
/// Maintenance windows are reservations (no job runs into one); a failed node loses its jobs, which are
/// requeued and run again from the start, and it is down until repaired.
public enum Simulator {
    public struct Options: Sendable {
        /// The queue policy (nil: cluster.yaml's `scheduling.policy`).
        public var queue: QueuePolicyName?
        /// The placement policy (nil: cluster.yaml's).
        public var placement: PlacementPolicyName?
        /// GPU models' relative speeds (nil: what the cluster description declares).
        public var speed: GPUSpeed?
        /// Maintenance windows and node failures.
        public var events: SimulationEvents
        /// How long each job holds its GPUs past the end of its run, in milliseconds: the launch and the exit's
        /// report that the trace's run time leaves out (docs/simulate.md, "Fidelity"). A job's own
        /// `SimulatedJob.holdMillis`, where the trace gives one, stands instead.
        public var holdOverheadMillis: Int64
        /// Keep each job's placement for `SimulatedOutcome.placement` (off: a long replay keeps none).
        public var recordsPlacements: Bool
        /// Check the run's invariants (GPU-seconds conserved, no start before submit, every job ends, the
        /// cluster empty at the end); on by default in debug builds.
        public var checkInvariants: Bool
        /// Full passes go bucket by bucket through the indexed queue (false: job by job in order; the same
        /// decisions, kept to test that they are).
        var indexedQueue = true
        /// A backfill plan's search is put off until a pass needs its start (`QueueBook.defersPlans`; false:
        /// every plan worked out when made, the same decisions, kept to test that they are).
        var defersPlans = true
        /// `run` hands the working out of the jobs' classes to its `beside` whatever the trace's length
        /// (`ArrivalClasses`; false: only on a long trace; the same decisions, kept to test that they are).
        var classesAhead = false

        public init(
            queue: QueuePolicyName? = nil, placement: PlacementPolicyName? = nil, speed: GPUSpeed? = nil,
            events: SimulationEvents = SimulationEvents(), checkInvariants: Bool? = nil, holdOverheadMillis: Int64 = 0,
            recordsPlacements: Bool = false
        ) {
            self.holdOverheadMillis = holdOverheadMillis
            self.recordsPlacements = recordsPlacements
            self.queue = queue
            self.placement = placement
            self.speed = speed
            self.events = events
            self.checkInvariants = checkInvariants ?? _isDebugAssertConfiguration()
        }
    }

    /// A run's outcomes and the figures gathered along the way.
    public struct Run: Sendable {
        /// In the order the jobs were given (each made when read).
        public var outcomes: SimulatedOutcomes
        /// Arrivals, ends, failures, repairs and window edges processed.
        public var events: Int
        public var totalGPUs: Int
        /// From the first arrival to the last end (its GPUs given back), in seconds.
        public var makespan: Double
        public var busyGPUSeconds: Double
        /// Idle GPU-seconds while a queued job that would fit by GPU count could not be placed.
        public var fragmentationBlockedGPUSeconds: Double
        /// GPU-seconds of nodes down (failed) or in a maintenance window.
        public var unavailableGPUSeconds: Double
        /// GPU-seconds of runs cut short by a node failure or preemption (the work is lost; the job runs again).
        public var lostGPUSeconds: Double
        public var nodeFailures: Int
        /// Runs cut short by preemption (the job ran again later).
        public var preemptedRuns: Int
        public var work: QueuePass.Counters
        /// Busy GPUs and queued jobs after each moment something changed (time, busy, queued), thinned to
        /// at most about 2,000 points.
        public var timeline: [TimelinePoint]
        /// Empty unless invariants were checked and one failed.
        public var invariantViolations: [String]
    }

    public struct TimelinePoint: Sendable, Hashable {
        /// Seconds from the start of the trace.
        public var time: Double
        public var busyGPUs: Int
        public var queued: Int
    }

    /// Replays `jobs` on `spec`. Unknown nodes in `options.events` are a `ConfigError`.
    ///
    /// `beside`, when given, starts work that may run beside the replay, on a thread of the caller's (e.g.
    /// `{ Thread(block: $0).start() }`); the replay hands it the working out of the jobs' classes on a long
    /// trace (`ArrivalClasses`), which saves the event loop that work. The engine starts no thread itself, and
    /// does not wait for the work to start: the outcome is the same with or without it.
    public static func run(
        spec: ClusterSpec, jobs: [SimulatedJob], options: Options = Options(), progress: ((Double) -> Void)? = nil,
        beside: ((@escaping @Sendable () -> Void) -> Void)? = nil
    ) throws(ConfigError) -> Run {
        let classes = ArrivalClasses(jobs: jobs)
        defer { classes.finish() }
        if let beside, options.classesAhead || jobs.count >= ArrivalClasses.aheadThreshold {
            beside { classes.workAhead() }
        }
        return try replay(spec: spec, jobs: jobs, classes: classes, options: options, progress: progress)
    }

    private static func replay(
        spec: ClusterSpec, jobs: [SimulatedJob], classes: ArrivalClasses, options: Options,
        progress: ((Double) -> Void)?
    ) throws(ConfigError) -> Run {
        var loop = try EventLoop(spec: spec, jobs: jobs, classes: classes, options: options)
        loop.run(progress: progress)
        return loop.finish(checkInvariants: options.checkInvariants)
    }

    static func thin(_ points: [TimelinePoint], to n: Int) -> [TimelinePoint] {
        guard points.count > n else { return points }
        let step = Double(points.count) / Double(n)
        return (0..<n).map { points[Int(Double($0) * step)] } + [points[points.count - 1]]
    }
}
