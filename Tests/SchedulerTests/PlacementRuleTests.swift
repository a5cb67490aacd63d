import Testing

@testable import Scheduler

@Suite struct PlacementRuleTests {
    @Test func smallRequestStaysInOneNUMADomainWithItsCoresMemoryAndNICs() throws {
        var state = ClusterState(spec: try platform())
        let d = try state.take(ResourceRequest(gpus: 3))
        let a = d.allocation.nodes[0]
        let type = state.spec.nodeType(of: state.spec.nodes[a.node])
        let domains = Set(a.gpus.map { type.gpus[$0].numa })
        #expect(domains.count == 1)
        let domain = domains.first!
        // Cores (14 per GPU by the gpu partition's default) and memory come from the same domain.
        #expect(a.cores.count == 42)
        #expect(a.cores.sorted.allSatisfy { type.numa[domain].cores.contains($0) })
        #expect(a.numaDomains == [domain])
        #expect(a.memory[domain] == ByteSize.gibibytes(240) * 3)
        // Each GPU brings the NIC behind its PCIe switch.
        let view = state.spec.view(of: d.allocation)
        #expect(view.nodes[0].nics == a.gpus.map { type.gpus[$0].nic! })
        #expect(view.nodes[0].cpus.count == 84)
        #expect(d.note.shape == "numa-contained")
    }

    /// Alibaba's openb trace has 4-GPU pods asking for 61 cores: more than a DGX H200's domain has (56). Their
    /// GPUs cannot all sit in one domain with their cores, so they are spread 2 + 2 and each half brings its
    /// share; kept in one domain, such a job was refused on every node, idle ones too, and never ran.
    @Test func aRequestForMoreCoresThanADomainHasSpreadsItsGPUs() throws {
        var state = ClusterState(spec: try platform())
        let d = try state.take(ResourceRequest(gpus: 4, cpus: 61, memory: .gibibytes(313)))
        let a = d.allocation.nodes[0]
        let type = state.spec.nodeType(of: state.spec.nodes[a.node])
        #expect(d.note.shape == "numa-spanning")
        for domain in 0..<2 {
            #expect(a.gpus.filter { type.gpus[$0].numa == domain }.count == 2)
            let cores = a.cores.sorted.filter { type.numa[domain].cores.contains($0) }.count
            #expect(cores == (domain == 0 ? 30 : 31))
        }
        #expect(a.cores.count == 61)
        #expect(a.memory[0] + a.memory[1] == .gibibytes(313))
        // Asked to stay in one domain, it never can.
        let refusal = state.refusal(ResourceRequest(gpus: 4, cpus: 61, memory: .gibibytes(313), sameNuma: true))
        #expect(refusal?.kind == .neverFits)
    }

    @Test func aPartlyUsedDomainIsFilledBeforeAFreeOne() throws {
        var state = ClusterState(spec: try platform())
        let first = try state.take(ResourceRequest(gpus: 1)).allocation.nodes[0]
        // A second small job goes next to the first, not to a fresh NUMA half or a fresh node.
        let second = try state.take(ResourceRequest(gpus: 2)).allocation.nodes[0]
        #expect(second.node == first.node)
        let type = state.spec.nodeTypes[0]
        #expect(Set((first.gpus.sorted + second.gpus.sorted).map { type.gpus[$0].numa }).count == 1)
        // A 4-GPU job takes the untouched half of that node rather than breaking an empty node.
        let four = try state.take(ResourceRequest(gpus: 4)).allocation.nodes[0]
        #expect(four.node == first.node)
        #expect(state.freeShapes().wholeNodes == 5)
    }

    /// 36 one-GPU jobs on 48 GPUs: packed, they leave three whole NUMA halves; spread over both
    /// sockets of every node, they leave none. Packing must keep the 4-GPU shapes.
    @Test func smallJobsDoNotStrandFourGPURequests() throws {
        var pack = ClusterState(spec: try platform(), policy: .pack)
        var spread = ClusterState(spec: try platform(), policy: .spread)
        for _ in 0..<36 {
            try pack.take(ResourceRequest(gpus: 1))
            try spread.take(ResourceRequest(gpus: 1))
        }
        #expect(pack.freeShapes().fits[4] == 3)
        #expect(spread.freeShapes().fits[4] == 0)
        for _ in 0..<3 {
            let d = try pack.take(ResourceRequest(gpus: 4, sameNuma: true))
            #expect(d.note.shape == "numa-contained")
        }
        #expect(
            spread.refusal(ResourceRequest(gpus: 4, sameNuma: true))?.reason
                == "4 GPUs on one NUMA domain: at most 2 are free on one domain (dgx01 NUMA 1); 12 GPUs are free in all"
        )
    }

    @Test func aFourGPURequestSpansDomainsOnlyWhenNoDomainAnywhereHasFour() throws {
        var state = ClusterState(spec: try platform())
        // Leave exactly 2 free GPUs on each NUMA domain of every node.
        for node in 0..<6 {
            for (gpus, cores) in [([0, 1], 0..<28), ([4, 5], 56..<84)] {
                try state.commit(
                    Allocation(
                        nodes: [
                            NodeAllocation(
                                node: node, gpus: GPUSet(gpus), cores: CPUSet(cores), memory: [.gibibytes(100), .zero],
                                scratch: .zero, exclusive: false)
                        ],
                        sharedStorage: .zero, gpuModel: "H200"))
            }
        }
        #expect(state.freeShapes().fits[4] == 0)
        #expect(state.freeShapes().freeGPUs == 24)
        let span = try state.take(ResourceRequest(gpus: 4))
        #expect(span.note.shape == "numa-spanning")
        let a = span.allocation.nodes[0]
        let type = state.spec.nodeTypes[0]
        #expect(Set(a.gpus.map { type.gpus[$0].numa }) == [0, 1])
        // Cores and memory follow the GPUs: half from each domain.
        #expect(a.cores.sorted.filter { $0 < 56 }.count == 28)
        #expect(a.memory == [ByteSize.gibibytes(480), ByteSize.gibibytes(480)])
    }

    @Test func eightGPURequestsTakeAWholeNodeAfterChurn() throws {
        var state = ClusterState(spec: try platform())
        var held: [Allocation] = []
        for _ in 0..<48 { held.append(try state.take(ResourceRequest(gpus: 1)).allocation) }
        // Free 2 GPUs on each node: 12 free GPUs but no node with 8.
        var freed = 0
        for node in 0..<6 {
            for a in held.filter({ $0.nodes[0].node == node }).prefix(2) {
                try state.release(a)
                held.removeAll { $0 == a }
                freed += 1
            }
        }
        #expect(freed == 12)
        let refusal = state.refusal(ResourceRequest(gpus: 8))
        #expect(refusal?.kind == .notNow)
        #expect(
            refusal?.reason == "8 GPUs on one node: at most 2 are free on one node (dgx01); 12 GPUs are free in all")
        // Release the rest of dgx04: the 8-GPU job lands there, on all its GPUs.
        for a in held.filter({ $0.nodes[0].node == 3 }) { try state.release(a) }
        let d = try state.take(ResourceRequest(gpus: 8))
        #expect(d.allocation.nodes.map(\.node) == [3])
        #expect(d.allocation.nodes[0].gpus.count == 8)
        #expect(d.note.shape == "whole-node")
    }

    @Test func multiNodeGangTakesWholeNodesOnTheFewestLeaves() throws {
        // 8 nodes, 4 per leaf.
        var state = ClusterState(spec: try dgxCluster(count: 8, perLeaf: 4))
        // One busy node on leaf0: leaf0 has 3 idle nodes, leaf1 has 4.
        try state.take(ResourceRequest(gpus: 1))
        let gang = try state.take(ResourceRequest(gpus: 32))
        let names = gang.allocation.nodes.map { state.spec.nodes[$0.node].name }
        #expect(names == ["n00005", "n00006", "n00007", "n00008"])
        #expect(gang.allocation.nodes.allSatisfy { $0.exclusive && $0.gpus.count == 8 && $0.cores.count == 112 })
        #expect(gang.note.shape == "gang")
        // A 3-node gang fits leaf0's three idle nodes: one leaf, not two.
        let three = try state.take(ResourceRequest(nodes: 3, gpusPerNode: 8))
        #expect(Set(three.allocation.nodes.map { state.spec.nodes[$0.node].fabricSwitch }) == ["leaf0"])
        // All or nothing: no idle node is left, so a 2-node gang is refused and nothing is taken.
        let before = state.freeShapes()
        let refusal = state.refusal(ResourceRequest(nodes: 2))
        #expect(refusal?.reason == "2 whole idle nodes requested; none is idle")
        #expect(state.freeShapes() == before)
    }

    @Test func gangSpansLeavesWhenNoLeafHoldsIt() throws {
        var state = ClusterState(spec: try dgxCluster(count: 8, perLeaf: 4))
        let gang = try state.take(ResourceRequest(gpus: 48))
        #expect(gang.allocation.nodes.count == 6)
        let leaves = gang.allocation.nodes.map { state.spec.nodes[$0.node].fabricSwitch }
        #expect(Set(leaves).count == 2)
    }

    static let mixedYAML = """
        gpuModels:
          H200: { memory: 141GB }
          B200: { memory: 180GB, relativeSpeed: 2.2 }
        nodeTypes:
        \(dgxType)
          dgx-b200:
            sockets: 2
            coresPerSocket: 56
            gpus: { model: B200, count: 8 }
            numa:
              - { socket: 0, memory: 1TiB, gpus: 0-3 }
              - { socket: 1, memory: 1TiB, gpus: 4-7 }
        nodes:
          - { name: "h[1-2]", type: dgx-h200 }
          - { name: "b[1-2]", type: dgx-b200 }
        partitions:
          gpu: { default: true, coresPerGpu: 14, memoryPerGpu: 240GiB }
        """

    @Test func gpuMemoryRequestsBecomeACountForTheModelChosen() throws {
        let spec = try ClusterSpec.parse(yaml: Self.mixedYAML)
        var state = ClusterState(spec: spec)
        let h = try state.take(ResourceRequest(gpuMemory: ByteSize(parsing: "300GB"), gpuModel: "H200"))
        #expect(h.allocation.gpuCount == 3)
        #expect(h.allocation.gpuModel == "H200")
        let b = try state.take(ResourceRequest(gpuMemory: ByteSize(parsing: "300GB"), gpuModel: "b200"))
        #expect(b.allocation.gpuCount == 2)
        #expect(b.allocation.gpuModel == "B200")
        // More than 141 GB per GPU: only B200 qualifies.
        let big = try state.take(ResourceRequest(gpus: 1, minGpuMemory: ByteSize(parsing: "150GB")))
        #expect(big.allocation.gpuModel == "B200")
        // Unconstrained: whichever model, with the GPU count matching the memory.
        let any = try state.take(ResourceRequest(gpuMemory: ByteSize(parsing: "500GB")))
        let perGPU = any.allocation.gpuModel == "B200" ? 180.0 : 141.0
        #expect(Double(any.allocation.gpuCount) == (500.0 / perGPU).rounded(.up))
        // 2 TB of GPU memory is beyond one H200 node: a 2-node gang of 8 GPUs each.
        var fresh = ClusterState(spec: spec)
        let gang = try fresh.take(ResourceRequest(gpuMemory: ByteSize(parsing: "2TB"), gpuModel: "H200"))
        #expect(gang.allocation.nodes.count == 2)
        #expect(gang.allocation.gpuCount == 16)
    }

    @Test func refusalsSayExactlyWhatIsWrong() throws {
        let state = ClusterState(spec: try platform())
        let cases: [(ResourceRequest, PlacementRefusal.Kind, String)] = [
            (ResourceRequest(gpus: 65), .neverFits, "65 GPUs requested; the cluster has 48"),
            (ResourceRequest(gpus: 1, gpuModel: "B200"), .neverFits, "no node has GPU model B200 (models: H200)"),
            (
                ResourceRequest(gpus: 1, minGpuMemory: ByteSize(parsing: "200GB")), .neverFits,
                "no GPU has at least 200 GB of memory (largest: H200, 141 GB)"
            ),
            (
                ResourceRequest(gpus: 1, partition: "debug"), .invalid,
                "unknown partition 'debug' (partitions: gpu, interactive)"
            ),
            (
                ResourceRequest(gpus: 1, account: "nasa"), .invalid,
                "unknown account 'nasa' (accounts: ivi, etf, pmf-ns, ipb, mi-sanu)"
            ),
            (
                ResourceRequest(gpus: 1, partition: "interactive", time: .hours(8)), .neverFits,
                "time limit 8h exceeds partition interactive's maximum of 4h"
            ),
            (ResourceRequest(gpus: 1, cpus: 120), .neverFits, "120 cores per node requested; a dgx-h200 node has 112"),
            (
                ResourceRequest(gpus: 1, memory: ByteSize(parsing: "3TB")), .neverFits,
                "3 TB of memory per node requested; a dgx-h200 node has 2 TiB"
            ),
            (ResourceRequest(nodes: 7), .neverFits, "7 nodes requested; partition gpu has 6 dgx-h200 nodes"),
            (
                ResourceRequest(gpus: 12, nodes: 5), .invalid,
                "12 GPUs do not split evenly over 5 nodes; ask for a multiple of 5, or set gpusPerNode"
            ),
            (ResourceRequest(gpus: -1), .invalid, "GPU count must not be negative (-1)"),
            (
                ResourceRequest(gpus: 1, storage: ByteSize(parsing: "200TB")), .neverFits,
                "200 TB of shared storage requested; the cluster has 120 TB"
            ),
            (
                ResourceRequest(gpus: 2, gpuMemory: ByteSize(parsing: "10GB")), .invalid,
                "give either gpus or gpuMemory, not both"
            ),
            (
                ResourceRequest(gpus: 1, scratch: ByteSize(parsing: "40TB")), .neverFits,
                "40 TB of scratch per node requested; a dgx-h200 node has 30 TB"
            ),
        ]
        for (request, kind, reason) in cases {
            let r = state.refusal(request)
            #expect(r?.kind == kind, "\(reason)")
            #expect(r?.reason == reason)
        }
    }

    @Test func notNowRefusalsNameTheClosestNodeAndDomain() throws {
        var state = ClusterState(spec: try platform())
        // Fill everything, then free 3 GPUs on dgx02 NUMA 1 and 2 on dgx05 NUMA 0.
        var held: [Allocation] = []
        for _ in 0..<48 { held.append(try state.take(ResourceRequest(gpus: 1)).allocation) }
        let type = state.spec.nodeTypes[0]
        func onDomain(_ node: Int, _ numa: Int) -> [Allocation] {
            held.filter { $0.nodes[0].node == node && type.gpus[$0.nodes[0].gpus.sorted[0]].numa == numa }
        }
        for a in onDomain(1, 1).prefix(3) { try state.release(a) }
        for a in onDomain(4, 0).prefix(2) { try state.release(a) }
        #expect(
            state.refusal(ResourceRequest(gpus: 4, sameNuma: true))?.reason
                == "4 GPUs on one NUMA domain: at most 3 are free on one domain (dgx02 NUMA 1); 5 GPUs are free in all")
        state.setAvailability(node: 5, .drain)
        #expect(
            state.refusal(ResourceRequest(gpus: 4))?.reason
                == "4 GPUs on one node: at most 3 are free on one node (dgx02); 5 GPUs are free in all; 1 node is down or draining (dgx06)"
        )
        // The storage pool is shared by the whole cluster.
        var s2 = ClusterState(spec: try platform())
        try s2.take(ResourceRequest(gpus: 1, storage: ByteSize(parsing: "100TB")))
        #expect(
            s2.refusal(ResourceRequest(gpus: 1, storage: ByteSize(parsing: "30TB")))?.reason
                == "30 TB of shared storage requested; 20 TB of 120 TB is free")
    }

    @Test func coresNextToTheGPUsAreARealLimit() throws {
        var state = ClusterState(spec: try dgxCluster(count: 1))
        // A CPU job takes 50 cores of NUMA 0 (the domain with the fewest free GPUs is a tie: NUMA 0).
        let cpu = try state.take(ResourceRequest(cpus: 50, memory: .gibibytes(64)))
        #expect(cpu.note.shape == "cpu-only")
        #expect(cpu.allocation.nodes[0].cores.sorted == Array(0..<50))
        // Four GPUs with 56 cores fit NUMA 1 only.
        let four = try state.take(ResourceRequest(gpus: 4, cpus: 56))
        #expect(four.allocation.nodes[0].gpus.sorted == [4, 5, 6, 7])
        // Two options were weighed (NUMA 0 or NUMA 1 of the one node), and the node was checked once for each:
        // NUMA 0, the first of the tie, lacked cores.
        #expect(four.note.candidatesScored == 2)
        #expect(four.note.nodesChecked == 2)
        // Now NUMA 0 has 4 GPUs but 6 free cores.
        let r = state.refusal(ResourceRequest(gpus: 4, cpus: 20, sameNuma: true))
        #expect(
            r?.reason
                == "20 cores next to the GPUs: the nodes with enough free GPUs lack cores (n00001 NUMA 0: 6 free, 20 needed)"
        )
    }

    @Test func nodesThatAreDrainingOrDownTakeNothingNewButKeepTheirJobs() throws {
        var state = ClusterState(spec: try dgxCluster(count: 2))
        let a = try state.take(ResourceRequest(gpus: 2)).allocation
        state.setAvailability(node: a.nodes[0].node, .drain)
        let b = try state.take(ResourceRequest(gpus: 2)).allocation
        #expect(b.nodes[0].node != a.nodes[0].node)
        state.setAvailability(node: b.nodes[0].node, .down)
        #expect(state.refusal(ResourceRequest(gpus: 1))?.kind == .notNow)
        try state.release(a)
        #expect(state.invariantViolations().isEmpty)
        state.setAvailability(node: a.nodes[0].node, .up)
        #expect(try state.take(ResourceRequest(gpus: 8)).allocation.nodes[0].node == a.nodes[0].node)
    }

    @Test func commitAndReleaseRefuseWhatDoesNotMatchTheState() throws {
        var state = ClusterState(spec: try platform())
        let a = try state.take(ResourceRequest(gpus: 2)).allocation
        #expect(throws: ClusterState.StateError.self) { try state.commit(a) }
        try state.release(a)
        #expect(throws: ClusterState.StateError.self) { try state.release(a) }
        #expect(state.invariantViolations().isEmpty)
        #expect(state.freeShapes().freeGPUs == 48)
    }

    @Test func everyPolicyIsSelectableAndBehavesAsNamed() throws {
        let spec = try platform()
        func placeAfterOne(_ p: PlacementPolicyName) throws -> [Int] {
            var s = ClusterState(spec: spec, policy: p)
            try s.take(ResourceRequest(gpus: 4))  // dgx01 NUMA 0
            try s.take(ResourceRequest(gpus: 3))
            return [
                try s.take(ResourceRequest(gpus: 1)).allocation.nodes[0].node,
                try s.take(ResourceRequest(gpus: 2)).allocation.nodes[0].node,
            ]
        }
        #expect(try placeAfterOne(.firstFit) == [0, 1])
        #expect(try placeAfterOne(.bestFit) == [0, 1])
        #expect(try placeAfterOne(.pack) == [0, 1])
        // Spread puts each job on the emptiest node.
        var s = ClusterState(spec: spec, policy: .spread)
        let nodes = try (0..<6).map { _ in try s.take(ResourceRequest(gpus: 1)).allocation.nodes[0].node }
        #expect(Set(nodes).count == 6)
    }

    @Test func decisionsAreDeterministic() throws {
        func run() throws -> [Allocation] {
            var state = ClusterState(spec: try platform())
            var rng = SeededRandom(seed: 7)
            var out: [Allocation] = []
            for _ in 0..<200 {
                if !out.isEmpty && rng.unit() < 0.4 {
                    try state.release(out.remove(at: Int(rng.next() % UInt64(out.count))))
                }
                if case let .success(d) = state.place(ResourceRequest(gpus: [1, 2, 4, 8][Int(rng.next() % 4)])) {
                    try state.commit(d.allocation)
                    out.append(d.allocation)
                }
            }
            return out
        }
        #expect(try run() == run())
    }
}
