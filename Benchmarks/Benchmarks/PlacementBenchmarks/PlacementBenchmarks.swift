import Benchmark
import Foundation
import Scheduler

/// Decision latency (place + commit + release) at 48 and 100,000 GPUs, and placement quality
/// under churn for every policy. Figures and how to read them: docs/placement.md.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal], timeUnits: .nanoseconds, maxDuration: .seconds(3),
        maxIterations: 200_000)

    let platform = try! ClusterSpec.load(file: repositoryFile("cluster.yaml"))
    let large = syntheticCluster(nodes: 12_500)

    for (label, spec) in [("48 GPUs", platform), ("100k GPUs", large)] {
        // Loaded once; every iteration gives back what it took, so each one sees the same cluster.
        let box = StateBox(loaded(spec))
        for gpus in [1, 2, 4, 8] {
            Benchmark("place+release \(gpus)-GPU @ \(label)") { benchmark in
                let request = ResourceRequest(gpus: gpus)
                // A local copy, written once before measuring so its storage is its own (copy on write).
                var state = box.state
                let warm = try! state.place(request).get()
                try! state.commit(warm.allocation)
                try! state.release(warm.allocation)
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    let decision = try! state.place(request).get()
                    try! state.commit(decision.allocation)
                    try! state.release(decision.allocation)
                }
                benchmark.stopMeasurement()
            }
        }
    }

    let stranded4 = BenchmarkMetric.custom(
        "4-GPU arrivals without a free NUMA domain (‰)", polarity: .prefersSmaller, useScalingFactor: false)
    let stranded8 = BenchmarkMetric.custom(
        "8-GPU arrivals without a free node (‰)", polarity: .prefersSmaller, useScalingFactor: false)
    let spanning4 = BenchmarkMetric.custom(
        "4-GPU jobs spanning sockets (‰)", polarity: .prefersSmaller, useScalingFactor: false)
    let utilisation = BenchmarkMetric.custom("GPU utilisation (‰)", polarity: .prefersLarger, useScalingFactor: false)
    for (label, spec) in [("48 GPUs", platform), ("512 GPUs", syntheticCluster(nodes: 64))] {
        for policy in PlacementPolicyName.allCases {
            Benchmark(
                "churn quality \(policy.rawValue) @ \(label)",
                configuration: .init(metrics: [stranded4, stranded8, spanning4, utilisation], maxIterations: 1)
            ) { benchmark in
                let o = ChurnExperiment(load: 0.9, arrivals: 50_000, seed: 42).run(spec: spec, policy: policy)
                let four = o.sizes.first { $0.gpus == 4 }!
                let eight = o.sizes.first { $0.gpus == 8 }!
                benchmark.measurement(stranded4, Int((four.strandedShare * 1000).rounded()))
                benchmark.measurement(stranded8, Int((eight.strandedShare * 1000).rounded()))
                benchmark.measurement(
                    spanning4, Int((Double(four.spanning) / Double(max(1, four.arrivals)) * 1000).rounded()))
                benchmark.measurement(utilisation, Int((o.utilisation * 1000).rounded()))
            }
        }
    }
}

/// A file of the main package, found from this source file's location.
func repositoryFile(_ path: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(path).path
}

/// `nodes` DGX H200 nodes of cluster.yaml's type, 32 per leaf switch.
func syntheticCluster(nodes: Int) -> ClusterSpec {
    try! ClusterSpec.load(file: repositoryFile("cluster.yaml")).withNodes(ofType: "dgx-h200", count: nodes)!
}

/// The cluster about 60 % busy with a seeded mix of 1-, 2-, 4- and 8-GPU jobs, as in production.
func loaded(_ spec: ClusterSpec) -> ClusterState {
    var state = ClusterState(spec: spec)
    var rng = SeededRandom(seed: 1)
    let target = Int(Double(spec.totalGPUs) * 0.6)
    var used = 0
    while used < target {
        let g = [1, 1, 2, 4, 8][Int(rng.next() % 5)]
        guard case let .success(d) = state.place(ResourceRequest(gpus: g)) else { break }
        try! state.commit(d.allocation)
        used += g
    }
    return state
}

/// Holds a state across benchmark runs (setup once, not per run).
final class StateBox: @unchecked Sendable {
    var state: ClusterState
    init(_ state: ClusterState) { self.state = state }
}
