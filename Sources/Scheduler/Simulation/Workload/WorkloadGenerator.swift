import Foundation

/// Synthetic workloads drawn from a `WorkloadProfile`, reproducible from a seed.
///
/// Arrivals are a Poisson process with the profile's mean rate, modulated by its diurnal factor
/// (drawn by thinning); each job's size comes from the size mix and its run time from the log-normal,
/// rounded to whole seconds (at least 1). Arrivals, sizes and run times use three generators seeded
/// from `seed`, so changing the size mix leaves arrival times unchanged. Jobs carry no time limit,
/// CPUs, memory, user or account (the partition's defaults apply) unless `partition`/`account` are set.
public struct WorkloadGenerator: Sendable {
    public var profile: WorkloadProfile
    public var seed: UInt64
    public var partition: String?
    public var account: String?

    public init(profile: WorkloadProfile, seed: UInt64, partition: String? = nil, account: String? = nil) {
        self.profile = profile
        self.seed = seed
        self.partition = partition
        self.account = account
    }

    /// `count` jobs, ids `gen-1` … `gen-<count>`, the first arriving after the first inter-arrival time.
    public func generate(jobs count: Int) -> Workload {
        var master = SeededRandom(seed: seed)
        var arrivals = SeededRandom(seed: master.next())
        var sizes = SeededRandom(seed: master.next())
        var runs = SeededRandom(seed: master.next())

        let p = profile
        let total = p.sizeMix.reduce(0) { $0 + $1.weight }
        var cumulative: [Double] = []
        var sum = 0.0
        for s in p.sizeMix {
            sum += s.weight / total
            cumulative.append(sum)
        }
        let meanRate = p.arrivalsPerHour / 3600  // per second
        let peakRate = meanRate * (1 + p.diurnalAmplitude)
        func rate(at t: Double) -> Double {
            let hour = t / 3600
            return meanRate * (1 + p.diurnalAmplitude * cos(2 * Double.pi * (hour - p.peakHour) / 24))
        }

        var jobs: [TraceJob] = []
        jobs.reserveCapacity(count)
        var t = 0.0
        for n in stride(from: 1, through: count, by: 1) {
            // Thinning (Lewis–Shedler): candidates at the peak rate, each kept with probability rate/peak.
            repeat {
                t += arrivals.exponential(mean: 1 / peakRate)
            } while p.diurnalAmplitude > 0 && arrivals.unit() * peakRate > rate(at: t)
            let u = sizes.unit()
            let index = cumulative.firstIndex { u < $0 } ?? (p.sizeMix.count - 1)
            let duration = max(1, p.duration.sample(&runs).rounded())
            jobs.append(
                TraceJob(
                    id: "gen-\(n)", submit: t, duration: duration,
                    request: ResourceRequest(gpus: p.sizeMix[index].gpus, partition: partition, account: account)))
        }
        return Workload(
            jobs: jobs,
            provenance:
                "generated: \(count) jobs, seed \(seed), profile \(p.source); mean \(p.arrivalsPerHour) arrivals/h"
                + (p.diurnalAmplitude > 0
                    ? ", diurnal amplitude \(p.diurnalAmplitude) peaking at hour \(p.peakHour)" : "")
                + ", run time log-normal (median \(p.duration.median) s, mean \(p.duration.mean) s)")
    }
}
