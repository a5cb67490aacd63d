import Testing

@testable import Scheduler

/// The placement scenarios that ../shared/anchors/slurm/RESULTS.md measured on Slurm 22.05
/// (cons_tres + backfill, six emulated DGX H200), replayed on the engine.
@Suite struct SlurmAnchorTests {
    /// RESULTS (c) 1: per node, jobs of 1, 2, 2, 2 and 1 GPUs fill all 48 GPUs; Slurm kept every job
    /// on one socket. So must we, with every GPU used.
    @Test func smallJobsFillTheClusterEachOnOneSocket() throws {
        var state = ClusterState(spec: try platform())
        let type = state.spec.nodeTypes[0]
        for _ in 0..<6 {
            for g in [1, 2, 2, 2, 1] {
                let d = try state.take(ResourceRequest(gpus: g))
                #expect(Set(d.allocation.nodes[0].gpus.map { type.gpus[$0].numa }).count == 1)
            }
        }
        #expect(state.freeShapes().freeGPUs == 0)
    }

    /// RESULTS (c) 3: Slurm gave a 4-GPU job GPUs 2,3,6,7 across both sockets while another node was
    /// empty. The engine never splits a 4-GPU job while any domain has four free GPUs.
    @Test func aFourGPUJobIsNeverSplitWhileADomainIsFree() throws {
        var state = ClusterState(spec: try platform())
        // dgx01 and dgx02 each left with two free GPUs per socket; dgx03 empty.
        for node in 0..<2 {
            for (gpus, cores) in [([0, 1], 0..<28), ([4, 5], 56..<84)] {
                try state.commit(
                    Allocation(
                        nodes: [
                            NodeAllocation(
                                node: node, gpus: GPUSet(gpus), cores: CPUSet(cores),
                                memory: [.gibibytes(100), .zero], scratch: .zero, exclusive: false)
                        ], sharedStorage: .zero, gpuModel: "H200"))
            }
        }
        let d = try state.take(ResourceRequest(gpus: 4))
        #expect(d.note.shape == "numa-contained")
        #expect(d.allocation.nodes[0].node >= 2)
    }

    /// RESULTS (c) 5: on a fragmented cluster (6, 4, 5, 1, 3, 5 free GPUs per node) Slurm placed twelve
    /// 1-GPU jobs first-fit in node order and did not top up dgx04. Packing tops up the fullest nodes
    /// and leaves the free GPUs in fewer, fuller domains than first fit.
    @Test func oneGPUJobsTopUpTheFullestNodesOnAFragmentedCluster() throws {
        let spec = try platform()
        func fragmented(_ policy: PlacementPolicyName) throws -> ClusterState {
            var state = ClusterState(spec: spec, policy: policy)
            // Busy GPUs per (node, socket), so that free counts are 6, 4, 5, 1, 3, 5.
            let busy = [(1, 1), (2, 2), (1, 2), (3, 4), (2, 3), (1, 2)]
            for (node, (a, b)) in busy.enumerated() {
                for g in Array(0..<a) + Array(4..<(4 + b)) {
                    let cores = g < 4 ? CPUSet([g]) : CPUSet([56 + g])
                    var memory: DomainMemory = [.zero, .zero]
                    memory[g < 4 ? 0 : 1] = .gibibytes(10)
                    try state.commit(
                        Allocation(
                            nodes: [
                                NodeAllocation(
                                    node: node, gpus: GPUSet([g]), cores: cores, memory: memory, scratch: .zero,
                                    exclusive: false)
                            ], sharedStorage: .zero, gpuModel: "H200"))
                }
            }
            #expect((0..<6).map { state.freeGPUs(node: $0).count } == [6, 4, 5, 1, 3, 5])
            return state
        }
        var pack = try fragmented(.pack)
        var first = try fragmented(.firstFit)
        for _ in 0..<12 {
            try pack.take(ResourceRequest(gpus: 1, cpus: 1, memory: .gibibytes(10)))
            try first.take(ResourceRequest(gpus: 1, cpus: 1, memory: .gibibytes(10)))
        }
        // dgx04's last free GPU is taken by packing; first fit leaves it stranded.
        #expect(pack.freeGPUs(node: 3).count == 0)
        #expect(first.freeGPUs(node: 3).count == 1)
        #expect(pack.freeShapes().fits[2]! >= first.freeShapes().fits[2]!)
        #expect(pack.freeShapes().fragmentedGPUs < first.freeShapes().fragmentedGPUs)
    }
}
