import Foundation
import Testing

@testable import Scheduler

/// The repository root, for reading cluster.yaml and scenarios as users do.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

func repoFile(_ path: String) -> String { repositoryRoot.appendingPathComponent(path).path }

/// The platform's own cluster.yaml.
func platform() throws -> ClusterSpec { try ClusterSpec.load(file: repoFile("cluster.yaml")) }

/// A DGX-H200-like node type block, reused by the small clusters tests build.
let dgxType = """
      dgx-h200:
        sockets: 2
        coresPerSocket: 56
        threadsPerCore: 2
        scratch: 30TB
        gpus: { model: H200, count: 8, interconnect: nvswitch }
        numa:
          - { socket: 0, memory: 1TiB, gpus: 0-3 }
          - { socket: 1, memory: 1TiB, gpus: 4-7 }
        nics:
          - { name: mlx5_0, gpu: 0 }
          - { name: mlx5_3, gpu: 1 }
          - { name: mlx5_4, gpu: 2 }
          - { name: mlx5_5, gpu: 3 }
          - { name: mlx5_6, gpu: 4 }
          - { name: mlx5_9, gpu: 5 }
          - { name: mlx5_10, gpu: 6 }
          - { name: mlx5_11, gpu: 7 }
    """

/// A cluster of `count` DGX H200 nodes, `perLeaf` per leaf switch.
func dgxCluster(count: Int, perLeaf: Int = 32, policy: String = "pack") throws -> ClusterSpec {
    let leaves = (count + perLeaf - 1) / perLeaf
    var yaml = """
        gpuModels:
          H200: { memory: 141GB }
        nodeTypes:
        \(dgxType)
        fabric:
          switches:
            - { name: spine }

        """
    for l in 0..<leaves { yaml += "    - { name: leaf\(l), parent: spine }\n" }
    yaml += "nodes:\n"
    for l in 0..<leaves {
        let first = l * perLeaf + 1
        let last = min(count, (l + 1) * perLeaf)
        yaml +=
            "  - { name: \"n[\(String(format: "%05d", first))-\(String(format: "%05d", last))]\", type: dgx-h200, switch: leaf\(l) }\n"
    }
    yaml += """
        storage: { shared: 120TB }
        partitions:
          gpu: { default: true, maxTime: 7d, coresPerGpu: 14, memoryPerGpu: 240GiB }
        placement: { policy: \(policy) }
        """
    return try ClusterSpec.parse(yaml: yaml, file: "test.yaml")
}

extension ClusterState {
    /// Places and commits, failing the test when either step fails.
    @discardableResult
    mutating func take(_ request: ResourceRequest, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> PlacementDecision
    {
        let decision = try place(request).get()
        try commit(decision.allocation)
        #expect(invariantViolations().isEmpty, sourceLocation: sourceLocation)
        return decision
    }

    func refusal(_ request: ResourceRequest) -> PlacementRefusal? {
        if case let .failure(r) = place(request) { return r }
        return nil
    }
}

/// Replays `jobs` with `flag` on and off, which must give the same schedule: each run keeps its invariants
/// (checked), and every job's outcome is the same in both. Returns the runs, `flag` on first.
func sameScheduleBothWays(
    _ flag: WritableKeyPath<Simulator.Options, Bool>, spec: ClusterSpec, jobs: [SimulatedJob], policy: QueuePolicyName,
    events: SimulationEvents
) throws -> (Simulator.Run, Simulator.Run) {
    let label = "\(policy), events: \(!events.isEmpty)"
    var a = Simulator.Options(queue: policy, events: events, checkInvariants: true)
    var b = a
    a[keyPath: flag] = true
    b[keyPath: flag] = false
    let x = try Simulator.run(spec: spec, jobs: jobs, options: a)
    let y = try Simulator.run(spec: spec, jobs: jobs, options: b)
    #expect(x.invariantViolations.isEmpty, "\(label): \(x.invariantViolations.prefix(2))")
    #expect(y.invariantViolations.isEmpty, "\(label), other way: \(y.invariantViolations.prefix(2))")
    let diff = zip(x.outcomes, y.outcomes).first { $0.0 != $0.1 }
    #expect(diff == nil, "\(label): first difference \(String(describing: diff))")
    return (x, y)
}

/// An outcome's times in seconds, for replays of whole-second traces (a start or end off a whole second is a
/// test failure: nil, with the time in the expectation's message).
extension SimulatedOutcome {
    var start: Int64? { Self.wholeSeconds(startMillis) }
    var end: Int64? { Self.wholeSeconds(endMillis) }
    var submit: Int64 { submitMillis / 1000 }

    private static func wholeSeconds(_ ms: Int64?) -> Int64? {
        guard let ms else { return nil }
        #expect(ms % 1000 == 0, "\(ms) ms is not a whole second")
        return ms / 1000
    }
}
