/// The figures a capacity planner compares, computed from a simulator run.
public struct SimulationReport: Sendable, Hashable, Codable {
    /// Wait time statistics, in seconds.
    public struct Waits: Sendable, Hashable, Codable {
        public var jobs: Int
        public var mean: Double
        public var p50: Double
        public var p95: Double
        public var p99: Double

        init(_ waits: [Double]) {
            let s = waits.sorted()
            jobs = s.count
            mean = s.isEmpty ? 0 : s.reduce(0, +) / Double(s.count)
            p50 = nearestRank(s, 0.50) ?? 0
            p95 = nearestRank(s, 0.95) ?? 0
            p99 = nearestRank(s, 0.99) ?? 0
        }
    }

    public struct Account: Sendable, Hashable, Codable {
        public var name: String
        public var gpuHours: Double
        public var meanWait: Double
        public var jobs: Int
    }

    public var jobs: Int
    public var completed: Int
    public var timedOut: Int
    /// Jobs that can never run on this cluster, with the engine's reason, by reason.
    public var neverFits: [String: Int]
    /// Busy GPU-seconds over makespan × GPUs.
    public var utilization: Double
    public var makespanSeconds: Double
    /// Jobs completed per hour of makespan.
    public var throughputPerHour: Double
    public var wait: Waits
    /// By GPUs per job: "1", "2", "3-4", "5-8", "9+".
    public var waitBySize: [String: Waits]
    /// Mean submit-to-end time, in seconds.
    public var meanTurnaround: Double
    /// Mean of max(1, (wait + run) / max(run, 10 s)).
    public var meanBoundedSlowdown: Double
    public var fragmentationBlockedGPUHours: Double
    public var accounts: [Account]
    public var events: Int
    /// GPU-hours of nodes down (failed) or in maintenance windows.
    public var unavailableGPUHours: Double
    /// Node failures, the GPU-hours of the runs they (and preemption) cut short, and the jobs that had to
    /// run again.
    public var nodeFailures: Int
    public var lostGPUHours: Double
    public var interruptedJobs: Int
    /// Jobs started ahead of a reserved one by backfill.
    public var backfilled: Int
    /// Runs cut short by preemption.
    public var preemptedRuns: Int

    public static let sizeClasses = ["1", "2", "3-4", "5-8", "9+"]

    static func sizeClass(_ gpus: Int) -> String {
        switch gpus {
        case ...1: "1"
        case 2: "2"
        case 3...4: "3-4"
        case 5...8: "5-8"
        default: "9+"
        }
    }

    public init(_ run: Simulator.Run) {
        let ran = run.outcomes.filter { $0.startMillis != nil && $0.endMillis != nil }
        jobs = run.outcomes.count
        completed = ran.count
        timedOut = ran.filter(\.timedOut).count
        neverFits = Dictionary(run.outcomes.compactMap { $0.neverFits.map { ($0, 1) } }, uniquingKeysWith: +)
        makespanSeconds = run.makespan
        let capacity = Double(run.totalGPUs) * max(run.makespan, 1)
        utilization = capacity > 0 ? run.busyGPUSeconds / capacity : 0
        throughputPerHour = Double(ran.count) / (max(run.makespan, 1) / 3600)
        wait = Waits(ran.compactMap(\.wait))
        var bySize: [String: [Double]] = [:]
        for o in ran { bySize[Self.sizeClass(o.gpus), default: []].append(o.wait ?? 0) }
        waitBySize = bySize.mapValues(Waits.init)
        meanTurnaround =
            ran.isEmpty
            ? 0 : ran.reduce(0.0) { $0 + Double($1.endMillis! - $1.submitMillis) / 1000 } / Double(ran.count)
        meanBoundedSlowdown =
            ran.isEmpty
            ? 0
            : ran.reduce(0.0) { sum, o in
                let runTime = Double(o.endMillis! - o.startMillis!) / 1000
                return sum + max(1, Double(o.endMillis! - o.submitMillis) / 1000 / max(runTime, 10))
            } / Double(ran.count)
        fragmentationBlockedGPUHours = run.fragmentationBlockedGPUSeconds / 3600
        var usage: [String: (gpuSeconds: Double, waits: Double, jobs: Int)] = [:]
        for o in ran {
            let account = o.account.isEmpty ? "(none)" : o.account
            var u = usage[account] ?? (0, 0, 0)
            u.gpuSeconds += Double(o.gpus) * o.runTime!
            u.waits += o.wait ?? 0
            u.jobs += 1
            usage[account] = u
        }
        accounts = usage.keys.sorted().map { name in
            let u = usage[name]!
            return Account(name: name, gpuHours: u.gpuSeconds / 3600, meanWait: u.waits / Double(u.jobs), jobs: u.jobs)
        }
        events = run.events
        unavailableGPUHours = run.unavailableGPUSeconds / 3600
        nodeFailures = run.nodeFailures
        lostGPUHours = run.lostGPUSeconds / 3600
        interruptedJobs = run.outcomes.filter { $0.interruptions > 0 }.count
        backfilled = run.work.backfilled
        preemptedRuns = run.preemptedRuns
    }
}
