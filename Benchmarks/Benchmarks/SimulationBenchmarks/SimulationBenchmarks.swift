import Benchmark
import Foundation
import Scheduler

/// The simulator's speed: a synthetic trace (sizes 1/2/4/8 at 20/25/20/35 %, log-uniform run times up to
/// 10,000 s, Poisson arrivals at about 94 % offered load) replayed on the platform's 48 GPUs and on a
/// 100,000-GPU cluster (12,500 DGX H200), under each queue policy. Events = 2 × jobs (arrival and end).
///
/// Besides wall clock, each benchmark reports `events/s` and `bytes/job`: the growth of resident memory
/// at its peak during one replay, over the trace's jobs (the peak is reset through /proc/self/clear_refs
/// before each replay).
let benchmarks: @Sendable () -> Void = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let platform = try! ClusterSpec.load(file: root.appendingPathComponent("cluster.yaml").path)
    let jobCount = Int(ProcessInfo.processInfo.environment["SIM_BENCH_JOBS"] ?? "") ?? 1_000_000

    func trace(jobs: Int, gpus: Int, seed: UInt64) -> [SimulatedJob] {
        var rng = SeededRandom(seed: seed)
        let sizes = [1, 1, 1, 1, 2, 2, 2, 2, 2, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8]
        // Arrivals every 1,090 × 4.1 / (0.9 × gpus) s: 90 % load for a mean of 4.1 GPUs a job and a mean run of
        // 1,090 s. The sizes' mean is 4.3 GPUs, so the load offered is about 94 %; the gap is kept as it was, so
        // that figures stay comparable from one measure to the next.
        let gap = 1090.0 * 4.1 / (0.9 * Double(gpus))
        var t = 0.0
        let accounts = ["ivi", "etf", "pmf-ns", "ipb", "mi-sanu"]
        return (0..<jobs).map { i in
            t += -log(max(Double(rng.next() % 1_000_000) / 1_000_000, 1e-9)) * gap
            let run = Int64(exp(Double(rng.next() % 1000) / 1000 * log(10_000.0)))
            return SimulatedJob(
                id: Int64(i), submit: Int64(t), duration: max(run, 1), timeLimit: 4 * max(run, 600),
                request: ResourceRequest(gpus: sizes[Int(rng.next() % UInt64(sizes.count))]),
                account: accounts[Int(rng.next() % 5)])
        }
    }

    /// Resident memory now and at its peak, in bytes (Linux).
    func memory() -> (now: Int, peak: Int) {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return (Int(line.split(separator: " ").dropFirst().first { Int($0) != nil } ?? "") ?? 0) * 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    func resetPeak() { try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) }

    Benchmark.defaultConfiguration = .init(
        metrics: [
            .wallClock, .peakMemoryResident, .custom("events/s", polarity: .prefersLarger, useScalingFactor: false),
            .custom("bytes/job", useScalingFactor: false),
        ], timeUnits: .milliseconds, maxDuration: .seconds(60), maxIterations: 3)

    queuePassBenchmarks(platform: platform)

    let scenarios: [(String, ClusterSpec, [SimulatedJob])] = [
        ("48 GPUs", platform, trace(jobs: jobCount, gpus: 48, seed: 1)),
        (
            "100,000 GPUs", platform.withNodes(ofType: "dgx-h200", count: 12_500)!,
            trace(jobs: jobCount, gpus: 100_000, seed: 2)
        ),
    ]
    for (name, spec, jobs) in scenarios {
        for policy in QueuePolicyName.allCases {
            Benchmark("simulate \(jobs.count / 1000)k jobs on \(name), \(policy.rawValue)") { benchmark in
                for _ in benchmark.scaledIterations {
                    resetPeak()
                    let before = memory().now
                    let began = ContinuousClock.now
                    // (The jobs' classes worked out on a thread beside the replay, as schedctl simulate does.)
                    let run = try! Simulator.run(
                        spec: spec, jobs: jobs, options: .init(queue: policy, checkInvariants: false),
                        beside: { work in
                            let thread = Thread(block: work)
                            thread.stackSize = 1 << 20
                            thread.start()
                        })
                    let seconds = (ContinuousClock.now - began) / .seconds(1)
                    benchmark.measurement(
                        .custom("events/s", polarity: .prefersLarger, useScalingFactor: false),
                        Int(Double(run.events) / seconds))
                    benchmark.measurement(
                        .custom("bytes/job", useScalingFactor: false),
                        max(memory().peak - before, 0) / max(jobs.count, 1))
                    blackHole(run.events)
                }
            }
        }
    }
}
