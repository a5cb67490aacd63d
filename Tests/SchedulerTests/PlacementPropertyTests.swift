import Testing

@testable import Scheduler

/// Random request/release sequences on small clusters, checked against brute force.
///
/// Requests carry the partition's per-GPU cores and memory, which never exceed a domain's share, so
/// free GPUs are the binding constraint and brute force over (node, domain) free counts is exact.
@Suite struct PlacementPropertyTests {
    static let snc = """
        gpuModels:
          H200: { memory: 141GB }
          B200: { memory: 180GB }
        nodeTypes:
        \(dgxType)
          snc4-b200:
            sockets: 2
            coresPerSocket: 48
            gpus: { model: B200, count: 8 }
            numa:
              - { socket: 0, memory: 512GB, gpus: 0-1 }
              - { socket: 0, memory: 512GB, gpus: 2-3 }
              - { socket: 1, memory: 512GB, gpus: 4-5 }
              - { socket: 1, memory: 512GB, gpus: 6-7 }
        fabric:
          switches: [ { name: s }, { name: l1, parent: s }, { name: l2, parent: s } ]
        nodes:
          - { name: "h[1-2]", type: dgx-h200, switch: l1 }
          - { name: "b[1-2]", type: snc4-b200, switch: l2 }
        partitions:
          gpu: { default: true, coresPerGpu: 12, memoryPerGpu: 200GB }
        """

    /// A node type of 16 GPUs: more than the signature table covers, so its signatures are computed.
    static let wide = """
        gpuModels:
          H200: { memory: 141GB }
        nodeTypes:
          wide16:
            sockets: 2
            coresPerSocket: 64
            gpus: { model: H200, count: 16 }
            numa:
              - { socket: 0, memory: 512GB, gpus: 0-7 }
              - { socket: 1, memory: 512GB, gpus: 8-15 }
        fabric:
          switches: [ { name: s } ]
        nodes:
          - { name: "w1", type: wide16, switch: s }
        partitions:
          gpu: { default: true, coresPerGpu: 8, memoryPerGpu: 60GB }
        """

    /// A node's signature numbers its free GPUs per domain: read back, each digit is the domain's free count,
    /// whether the signature was looked up (up to 12 GPUs) or computed.
    @Test func aSignatureCountsEachDomainsFreeGPUs() throws {
        var rng = SeededRandom(seed: 11)
        var checked = 0
        let specs =
            try Self.clusters() + [
                try ClusterSpec.parse(yaml: Self.wide),
                try ClusterSpec.load(file: repoFile("scenarios/gb200-nvl72-x4.yaml")),
            ]
        for spec in specs {
            for layout in ClusterState(spec: spec).layouts {
                let masks: [UInt64] =
                    layout.gpuCount <= 12
                    ? Array(0..<(UInt64(1) << UInt64(layout.gpuCount)))
                    : (0..<4000).map { _ in rng.next() & layout.allGPUs }
                for free in masks {
                    let sig = layout.signature(free: free)
                    #expect(sig >= 0)
                    #expect(sig < layout.signatureCount)
                    for k in layout.capacity.indices {
                        #expect(layout.digit(sig, k) == (free & layout.digitGPUs[k]).nonzeroBitCount)
                    }
                    #expect(layout.total(sig) == free.nonzeroBitCount)
                    checked += 1
                }
            }
        }
        #expect(checked > 4000 + 256)
    }

    static func clusters() throws -> [ClusterSpec] {
        [try dgxCluster(count: 3), try ClusterSpec.parse(yaml: snc)]
    }

    @Test(arguments: [PlacementPolicyName.pack, .firstFit, .bestFit, .spread], [UInt64(1), 2, 3])
    func randomSequencesKeepEveryRule(policy: PlacementPolicyName, seed: UInt64) throws {
        for spec in try Self.clusters() {
            try check(spec: spec, policy: policy, seed: seed)
        }
    }

    func check(spec: ClusterSpec, policy: PlacementPolicyName, seed: UInt64) throws {
        var state = ClusterState(spec: spec, policy: policy)
        let empty = state
        let fresh = state.freeShapes()
        var rng = SeededRandom(seed: seed)
        var held: [Allocation] = []
        for _ in 0..<400 {
            if !held.isEmpty && rng.unit() < 0.45 {
                try state.release(held.remove(at: Int(rng.next() % UInt64(held.count))))
            } else {
                let g = [1, 1, 1, 2, 2, 3, 4, 4, 6, 8, 16][Int(rng.next() % 11)]
                let model = rng.unit() < 0.2 ? "B200" : nil
                let request = ResourceRequest(gpus: g, gpuModel: model)
                let brute = bruteForce(state, gpus: g, model: model)
                switch state.place(request) {
                case let .success(d):
                    #expect(brute.any, "placed \(g) GPUs where brute force finds no room")
                    try state.commit(d.allocation)
                    held.append(d.allocation)
                    checkShape(state, d, gpus: g, brute: brute, policy: policy)
                case let .failure(r):
                    // "Never" only when even an empty cluster has no room.
                    let ever = bruteForce(empty, gpus: g, model: model).any
                    #expect(r.kind == (ever ? .notNow : .neverFits), "\(r.reason)")
                    #expect(!brute.any, "refused \(g) GPUs (\(r.reason)) although brute force finds room")
                }
            }
            #expect(state.invariantViolations().isEmpty)
            checkNoDoubleAllocation(state, held)
        }
        for a in held { try state.release(a) }
        #expect(state.freeShapes() == fresh || state.freeShapes().freeGPUs == fresh.freeGPUs)
        for n in spec.nodes.indices {
            #expect(state.freeGPUs(node: n).count == spec.nodeType(of: spec.nodes[n]).gpus.count)
            #expect(state.freeCores(node: n).count == spec.nodeType(of: spec.nodes[n]).cores)
            #expect(state.freeMemory(node: n) == spec.nodeType(of: spec.nodes[n]).numa.map(\.memory))
        }
    }

    struct Brute {
        var any = false
        var contained = false
        var fewestDomains = Int.max
    }

    /// Every node and every way to take the GPUs, by free counts alone.
    func bruteForce(_ state: ClusterState, gpus g: Int, model: String?) -> Brute {
        var b = Brute()
        let spec = state.spec
        if g > 8 {
            let idle = spec.nodes.indices.filter {
                state.jobCount(node: $0) == 0 && (model == nil || spec.nodeType(of: spec.nodes[$0]).gpuModel == model)
            }
            let byType = Dictionary(grouping: idle, by: { spec.nodes[$0].type })
            b.any = byType.values.contains { $0.count >= g / 8 }
            return b
        }
        for n in spec.nodes.indices {
            let type = spec.nodeType(of: spec.nodes[n])
            if let model, type.gpuModel != model { continue }
            let free = state.freeGPUs(node: n)
            let perDomain = type.numa.map { d in d.gpus.filter { free.contains($0) }.count }
            let total = perDomain.reduce(0, +)
            if g == 8 {
                if total == 8 { b.any = true }
                continue
            }
            guard total >= g else { continue }
            b.any = true
            if perDomain.contains(where: { $0 >= g }) { b.contained = true }
            // Fewest domains that together hold g.
            var k = 0
            var sum = 0
            for f in perDomain.sorted(by: >) where sum < g {
                sum += f
                k += 1
            }
            b.fewestDomains = min(b.fewestDomains, k)
        }
        return b
    }

    func checkShape(
        _ state: ClusterState, _ d: PlacementDecision, gpus g: Int, brute: Brute, policy: PlacementPolicyName
    ) {
        #expect(d.allocation.gpuCount == g)
        for a in d.allocation.nodes {
            let type = state.spec.nodeType(of: state.spec.nodes[a.node])
            let domains = Set(a.gpus.map { type.gpus[$0].numa })
            // Cores and memory come only from the GPUs' domains.
            #expect(Set(a.numaDomains).isSubset(of: domains))
            #expect(a.cores.sorted.allSatisfy { c in domains.contains { type.numa[$0].cores.contains(c) } })
            if g >= 8 { #expect(a.gpus.count == type.gpus.count) }
            if policy == .pack && g < 8 {
                if brute.contained {
                    #expect(
                        domains.count == 1, "\(g) GPUs spanned \(domains.count) domains although one domain had room")
                }
                #expect(domains.count <= max(1, brute.fewestDomains))
            }
        }
        if g > 8 {
            #expect(d.allocation.nodes.count == g / 8)
            #expect(d.allocation.nodes.allSatisfy { $0.exclusive })
        }
    }

    func checkNoDoubleAllocation(_ state: ClusterState, _ held: [Allocation]) {
        for n in state.spec.nodes.indices {
            var gpus: UInt64 = 0
            var cores = CPUSet()
            for a in held {
                for part in a.nodes where part.node == n {
                    #expect(gpus & part.gpus.mask == 0, "a GPU is held twice")
                    #expect(cores.isDisjoint(with: part.cores), "a core is held twice")
                    gpus |= part.gpus.mask
                    cores = cores.union(part.cores)
                }
            }
            let type = state.spec.nodeType(of: state.spec.nodes[n])
            #expect(gpus | state.freeGPUs(node: n).mask == GPUSet(0..<type.gpus.count).mask)
            #expect(gpus & state.freeGPUs(node: n).mask == 0)
            #expect(cores.union(state.freeCores(node: n)).count == type.cores)
        }
    }
}
