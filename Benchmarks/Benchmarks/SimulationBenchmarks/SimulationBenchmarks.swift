import Benchmark
import Foundation
import Scheduler

/// The simulator's speed: a synthetic trace (sizes 1/2/4/8 at 40/25/20/15 %, log-uniform run times,
/// Poisson arrivals at about 90 % offered load) on the platform's 48 GPUs and on a 100,000-GPU cluster.
/// Each iteration replays the whole trace; events = 2 × jobs (arrival and end).
let benchmarks: @Sendable () -> Void = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let platform = try! ClusterSpec.load(file: root.appendingPathComponent("cluster.yaml").path)

    func trace(jobs: Int, gpus: Int, seed: UInt64) -> [SimulatedJob] {
        var rng = SeededRandom(seed: seed)
        let sizes = [1, 1, 1, 1, 2, 2, 2, 2, 2, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8]
        // Mean GPUs per job ≈ 3.5, mean run ≈ 1,450 s: arrivals every 1,450 × 3.5 / (0.9 × gpus) s.
        let gap = 1450.0 * 3.5 / (0.9 * Double(gpus))
        var t = 0.0
        return (0..<jobs).map { i in
            t += -log(max(Double(rng.next() % 1_000_000) / 1_000_000, 1e-9)) * gap
            let run = Int64(exp(Double(rng.next() % 1000) / 1000 * log(10_000.0)))
            return SimulatedJob(
                id: Int64(i), submit: Int64(t), duration: max(run, 1), timeLimit: 86_400,
                request: ResourceRequest(gpus: sizes[Int(rng.next() % UInt64(sizes.count))]))
        }
    }

    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .peakMemoryResident, .mallocCountTotal], maxDuration: .seconds(30), maxIterations: 5)

    let small = trace(jobs: 100_000, gpus: 48, seed: 1)
    Benchmark("simulate 100k jobs on 48 GPUs (200k events)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(Simulator.run(spec: platform, jobs: small, options: .init(checkInvariants: false)).events)
        }
    }

    let big = platform.withNodes(ofType: "dgx-h200", count: 12_500)!
    let wide = trace(jobs: 100_000, gpus: 100_000, seed: 2)
    Benchmark("simulate 100k jobs on 100,000 GPUs (200k events)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(Simulator.run(spec: big, jobs: wide, options: .init(checkInvariants: false)).events)
        }
    }
}
