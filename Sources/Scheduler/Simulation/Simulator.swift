/// A discrete-event simulator that replays jobs on a cluster at virtual time with the production code:
/// the engine's `ClusterState` places and `QueuePass` decides, exactly as the controller does at wall-clock
/// time. Deterministic: the same cluster, jobs and options give the same outcomes.
public enum Simulator {
    public struct Options: Sendable {
        /// The placement policy (nil: cluster.yaml's).
        public var policy: PlacementPolicyName?
        /// GPU models' relative speeds (nil: what the cluster description declares).
        public var speed: GPUSpeed?
        /// Check the run's invariants (GPU-seconds conserved, no start before submit, every job ends, the
        /// cluster empty at the end); on by default in debug builds.
        public var checkInvariants: Bool

        public init(policy: PlacementPolicyName? = nil, speed: GPUSpeed? = nil, checkInvariants: Bool? = nil) {
            self.policy = policy
            self.speed = speed
            self.checkInvariants = checkInvariants ?? _isDebugAssertConfiguration()
        }
    }

    /// A run's outcomes and the figures gathered along the way.
    public struct Run: Sendable {
        /// In the order the jobs were given.
        public var outcomes: [SimulatedOutcome]
        /// Arrivals and ends processed.
        public var events: Int
        public var totalGPUs: Int
        /// From the first arrival to the last end, in seconds.
        public var makespan: Int64
        public var busyGPUSeconds: Double
        /// Idle GPU-seconds while a queued job that would fit by GPU count could not be placed.
        public var fragmentationBlockedGPUSeconds: Double
        public var work: QueuePass.Work
        /// Busy GPUs and queued jobs after each moment something changed (time, busy, queued), thinned to
        /// at most about 2,000 points.
        public var timeline: [TimelinePoint]
        /// Empty unless invariants were checked and one failed.
        public var invariantViolations: [String]
    }

    public struct TimelinePoint: Sendable, Hashable {
        public var time: Int64
        public var busyGPUs: Int
        public var queued: Int
    }

    /// Replays `jobs` on `spec`.
    public static func run(
        spec: ClusterSpec, jobs: [SimulatedJob], options: Options = Options(), progress: ((Double) -> Void)? = nil
    ) -> Run {
        var state = ClusterState(spec: spec)
        if let p = options.policy { state.policy = p }
        let idle = state
        let speeds = options.speed ?? GPUSpeed(spec: spec)
        let capacity = state.totalFreeGPUs
        let order = jobs.indices.sorted { (jobs[$0].submit, $0) < (jobs[$1].submit, $1) }
        var outcomes = jobs.map {
            SimulatedOutcome(
                id: $0.id, submit: $0.submit, start: nil, end: nil, gpus: $0.gpuCount ?? 0, account: $0.account,
                neverFits: nil, timedOut: false)
        }
        var ends = EventHeap()
        var pending: [Int] = []
        var minPendingGPUs = Int.max
        var next = 0
        var busy = 0
        var lastT = order.first.map { jobs[$0].submit } ?? 0
        let firstT = lastT
        var blocked = false
        var run = Run(
            outcomes: [], events: 0, totalGPUs: capacity, makespan: 0, busyGPUSeconds: 0,
            fragmentationBlockedGPUSeconds: 0, work: QueuePass.Work(), timeline: [], invariantViolations: [])
        var timeline: [TimelinePoint] = []
        var arrivals: [Int] = []
        let reportEvery = max(jobs.count / 100, 1)

        while next < order.count || !ends.isEmpty {
            let ta = next < order.count ? jobs[order[next]].submit : Int64.max
            let t = min(ta, ends.peekTime ?? Int64.max)
            let dt = Double(t - lastT)
            run.busyGPUSeconds += Double(busy) * dt
            if blocked { run.fragmentationBlockedGPUSeconds += Double(capacity - busy) * dt }
            lastT = t
            var freed = false
            while let (index, allocation) = ends.popIfAt(t) {
                try? state.release(allocation)
                busy -= allocation.gpuCount
                outcomes[index].end = t
                run.events += 1
                freed = true
            }
            arrivals.removeAll(keepingCapacity: true)
            while next < order.count && jobs[order[next]].submit == t {
                let index = order[next]
                next += 1
                run.events += 1
                if next % reportEvery == 0 { progress?(Double(next) / Double(order.count)) }
                if case let .failure(refusal) = idle.place(jobs[index].request), refusal.kind != .notNow {
                    outcomes[index].neverFits = refusal.reason
                    continue
                }
                arrivals.append(index)
                pending.append(index)
            }
            // Nothing freed: the jobs already waiting still do not fit; only the new ones are offered.
            let offered = freed ? pending : arrivals
            guard !offered.isEmpty else { continue }
            var stillWaiting: [Int] = []
            var minWaiting = Int.max
            QueuePass.run(
                on: &state, queue: offered.lazy.map { QueuePass.Candidate(id: Int64($0), request: jobs[$0].request) },
                work: &run.work,
                started: { c, decision in
                    let index = Int(c.id)
                    let job = jobs[index]
                    let gpus = decision.allocation.gpuCount
                    let speed = speeds.speed(of: decision.allocation.gpuModel)
                    let runtime = Int64((Double(job.duration) / speed).rounded(.up))
                    let length = max(min(runtime, job.timeLimit), 1)
                    outcomes[index].start = t
                    outcomes[index].gpus = gpus
                    outcomes[index].timedOut = runtime > job.timeLimit
                    busy += gpus
                    ends.push(t + length, index, decision.allocation)
                    return true
                },
                waiting: { c, _ in
                    let index = Int(c.id)
                    stillWaiting.append(index)
                    minWaiting = min(minWaiting, jobs[index].gpuCount ?? 1)
                })
            if freed {
                pending = stillWaiting
                minPendingGPUs = minWaiting
            } else {
                // The new arrivals that wait were appended to `pending` already; drop the ones that started.
                let startedNow = Set(arrivals).subtracting(stillWaiting)
                if !startedNow.isEmpty { pending.removeAll { startedNow.contains($0) } }
                minPendingGPUs = min(minPendingGPUs, minWaiting)
            }
            blocked = !pending.isEmpty && minPendingGPUs <= capacity - busy
            timeline.append(TimelinePoint(time: t, busyGPUs: busy, queued: pending.count))
        }
        progress?(1)
        run.makespan = lastT - firstT
        run.outcomes = outcomes
        run.timeline = thin(timeline, to: 2000)
        if options.checkInvariants { run.invariantViolations = violations(jobs, outcomes, run, state, capacity) }
        return run
    }

    static func thin(_ points: [TimelinePoint], to n: Int) -> [TimelinePoint] {
        guard points.count > n else { return points }
        let step = Double(points.count) / Double(n)
        return (0..<n).map { points[Int(Double($0) * step)] } + [points[points.count - 1]]
    }

    static func violations(
        _ jobs: [SimulatedJob], _ outcomes: [SimulatedOutcome], _ run: Run, _ state: ClusterState, _ capacity: Int
    ) -> [String] {
        var out: [String] = []
        var gpuSeconds = 0.0
        for (job, o) in zip(jobs, outcomes) {
            if o.neverFits != nil { continue }
            guard let s = o.start, let e = o.end else {
                out.append("job \(job.id) never ended")
                continue
            }
            if s < job.submit { out.append("job \(job.id) started at \(s), before its submission at \(job.submit)") }
            if e <= s { out.append("job \(job.id) ended at \(e), not after its start at \(s)") }
            gpuSeconds += Double(o.gpus) * Double(e - s)
        }
        if abs(gpuSeconds - run.busyGPUSeconds) > 0.5 {
            out.append("GPU-seconds not conserved: jobs held \(gpuSeconds), the cluster counted \(run.busyGPUSeconds)")
        }
        if state.totalFreeGPUs != capacity {
            out.append("\(capacity - state.totalFreeGPUs) GPUs still held after every job ended")
        }
        out += state.invariantViolations()
        return out
    }
}
