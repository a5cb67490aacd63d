import Testing

@testable import Scheduler

/// Multi-node jobs in a partition whose gangs share nodes (`multiNodeJobs: shared`): each node gives the
/// job only its per-node share, beside other jobs, all or nothing; in the default (`whole`) they take whole
/// idle nodes.
struct SharedGangTests {
    /// The platform, its default partition sharing its nodes with gangs.
    func sharing() throws -> ClusterSpec {
        var spec = try platform()
        spec.partitions[0].multiNodeJobs = .shared
        return spec
    }

    func names(_ d: PlacementDecision, _ state: ClusterState) -> [String] {
        d.allocation.nodes.map { state.spec.nodes[$0.node].name }
    }

    @Test func aGangTakesItsShareOfEachNodeAndNoMore() throws {
        var state = ClusterState(spec: try sharing())
        let before = state.freeShapes()
        let gang = try state.take(ResourceRequest(nodes: 2, gpusPerNode: 4))
        #expect(gang.note.shape == "gang")
        #expect(Set(gang.allocation.nodes.map(\.node)).count == 2)
        // Four GPUs, 4 × 14 cores and 4 × 240 GiB on each node (the partition's per-GPU defaults), not exclusive.
        for n in gang.allocation.nodes {
            #expect(!n.exclusive && n.gpus.count == 4 && n.cores.count == 56, "\(n)")
            #expect(n.memory.map(\.bytes).reduce(0, +) == ByteSize.gibibytes(960).bytes, "\(n)")
        }
        #expect(state.freeShapes().freeGPUs == 40)
        // Packing: a second such gang fills the other halves of the same two nodes, leaving four idle.
        let second = try state.take(ResourceRequest(nodes: 2, gpusPerNode: 4))
        #expect(names(second, state).sorted() == names(gang, state).sorted())
        #expect(state.freeShapes().wholeNodes == 4)
        // Released, everything is as it was.
        try state.release(second.allocation)
        try state.release(gang.allocation)
        #expect(state.freeShapes() == before)
        #expect(state.invariantViolations().isEmpty)
    }

    @Test func onHalfUsedNodesASharedGangStartsWhereAWholeNodeGangMustWait() throws {
        var shared = ClusterState(spec: try sharing())
        var whole = ClusterState(spec: try platform())
        for i in 1...6 {
            try shared.take(ResourceRequest(gpus: 4, nodelist: "dgx0\(i)"))
            try whole.take(ResourceRequest(gpus: 4, nodelist: "dgx0\(i)"))
        }
        let gang = try shared.take(ResourceRequest(nodes: 2, gpusPerNode: 4))
        #expect(gang.allocation.gpuCount == 8)
        #expect(shared.freeShapes().freeGPUs == 48 - 24 - 8)
        #expect(
            whole.refusal(ResourceRequest(nodes: 2, gpusPerNode: 4))?.reason
                == "2 whole idle nodes requested; none is idle")
    }

    @Test func whatASharedGangLacksIsNamed() throws {
        var state = ClusterState(spec: try sharing())
        for i in 1...5 { try state.take(ResourceRequest(gpus: 8, nodelist: "dgx0\(i)")) }
        try state.take(ResourceRequest(gpus: 4, nodelist: "dgx06"))
        let refusal = try #require(state.refusal(ResourceRequest(nodes: 2, gpusPerNode: 4)))
        #expect(refusal.kind == .notNow)
        #expect(refusal.reason == "2 nodes with 4 free GPUs each requested; only 1 has them (dgx06)")
        // One GPU a node, in the singular.
        let one = try #require(state.refusal(ResourceRequest(nodes: 3, gpusPerNode: 1)))
        #expect(one.reason == "3 nodes with 1 free GPU each requested; only 1 has them (dgx06)")
        // dgx05 and dgx06 have their GPUs free but a CPU-only job holds 100 of their 112 cores each: the
        // GPUs are there, not the cores beside them.
        var busy = ClusterState(spec: try sharing())
        for i in 1...4 { try busy.take(ResourceRequest(gpus: 8, nodelist: "dgx0\(i)")) }
        for i in 5...6 { try busy.take(ResourceRequest(gpus: 0, cpus: 100, nodelist: "dgx0\(i)")) }
        let cores = try #require(busy.refusal(ResourceRequest(cpus: 20, nodes: 2, gpusPerNode: 2)))
        #expect(
            cores.reason.hasPrefix(
                "2 nodes with 2 free GPUs each requested, 20 cores next to them: too few nodes have the cores (dgx0"),
            "\(cores.reason)")
    }

    @Test func exclusiveAndCPUOnlyGangsStillTakeWholeNodes() throws {
        var state = ClusterState(spec: try sharing())
        let exclusive = try state.take(ResourceRequest(nodes: 2, gpusPerNode: 4, exclusive: true))
        #expect(exclusive.allocation.nodes.allSatisfy { $0.exclusive && $0.cores.count == 112 })
        let cpus = try state.take(ResourceRequest(gpus: 0, cpus: 8, nodes: 2))
        #expect(cpus.allocation.nodes.allSatisfy { $0.exclusive })
        // The platform's default partition keeps gangs on whole nodes.
        var platform = ClusterState(spec: try platform())
        let gang = try platform.take(ResourceRequest(nodes: 2, gpusPerNode: 4))
        #expect(gang.allocation.nodes.allSatisfy { $0.exclusive && $0.cores.count == 112 })
    }

    /// A 4-GPU job on each node, ending at 100, 200, …, 600 (dgx01 first); then a gang of 2 × 4 GPUs and one
    /// of 2 × 8 (1 h each). Worked out by hand: sharing, the first takes the free halves of dgx01 and dgx02
    /// now (every node alike, the first nodes win), so the second needs dgx03 and dgx04 whole, at 400. On
    /// whole nodes the first needs two idle nodes, dgx01 and dgx02 at 200, and the second dgx03 and dgx04.
    @Test func startEstimatesPlayASharedGangForward() throws {
        func starts(_ spec: ClusterSpec) throws -> [Int64: Int64] {
            var state = ClusterState(spec: spec)
            var running: [StartEstimate.Running] = []
            for i in 1...6 {
                let d = try state.take(ResourceRequest(gpus: 4, nodelist: "dgx0\(i)"))
                running.append(.init(allocation: d.allocation, end: Int64(100 * i)))
            }
            let waiting: [StartEstimate.Waiting] = [
                .init(id: 1, request: ResourceRequest(nodes: 2, gpusPerNode: 4), timeLimit: .hours(1)),
                .init(id: 2, request: ResourceRequest(nodes: 2, gpusPerNode: 8), timeLimit: .hours(1)),
            ]
            var work = StartEstimate.Counters()
            return StartEstimate.estimate(state: state, running: running, waiting: waiting, now: 0, work: &work)
        }
        let shared = try starts(try sharing())
        #expect(shared == [1: 0, 2: 400], "\(shared)")
        #expect(try starts(try platform()) == [1: 200, 2: 400])
    }

    @Test func clusterYAMLNamesTheSetting() throws {
        let yaml = """
            gpuModels:
              H200: { memory: 141GB }
            nodeTypes:
            \(dgxType)
            nodes:
              - { name: "n[1-2]", type: dgx-h200 }
            partitions:
              gpu: { default: true, multiNodeJobs: shared }
              big: { multiNodeJobs: whole }
            """
        let spec = try ClusterSpec.parse(yaml: yaml, file: "c.yaml")
        #expect(spec.partitions.map(\.multiNodeJobs) == [.shared, .wholeNodes])
        #expect {
            try ClusterSpec.parse(yaml: yaml.replacingOccurrences(of: "whole }", with: "sometimes }"), file: "c.yaml")
        } throws: { "\($0)".contains("multiNodeJobs is whole or shared, not 'sometimes'") }
    }
}
