/// One node of an allocation as the API, `schedctl` and the agent see it: names, not indices.
public struct NodeAllocationView: Hashable, Sendable, Codable {
    public var node: String
    public var gpus: [Int]
    /// Physical core ids.
    public var cores: [Int]
    /// Logical CPU ids (hardware threads) of those cores, for binding.
    public var cpus: [Int]
    /// NUMA domains the GPUs, cores and memory come from.
    public var numa: [Int]
    /// Memory per NUMA domain, in bytes, keyed by domain index.
    public var memoryBytes: [String: UInt64]
    /// Each GPU's nearest compute NIC.
    public var nics: [String]
    public var scratchBytes: UInt64
    public var exclusive: Bool
}

/// An allocation as it crosses the network or is printed.
public struct AllocationView: Hashable, Sendable, Codable {
    public var nodes: [NodeAllocationView]
    public var gpuModel: String?
    public var sharedStorageBytes: UInt64
}

extension ClusterSpec {
    /// The allocation with node names, threads and NICs filled in.
    public func view(of a: Allocation) -> AllocationView {
        AllocationView(
            nodes: a.nodes.map { n in
                let node = nodes[n.node]
                let type = nodeType(of: node)
                let gpus = n.gpus.sorted
                let cores = n.cores.sorted
                var numa = Set(n.numaDomains)
                for g in gpus { numa.insert(type.gpus[g].numa) }
                return NodeAllocationView(
                    node: node.name, gpus: gpus, cores: cores,
                    cpus: cores.flatMap { type.threads(ofCore: $0) }.sorted(), numa: numa.sorted(),
                    memoryBytes: Dictionary(
                        uniqueKeysWithValues: n.numaDomains.map { (String($0), n.memory[$0].bytes) }),
                    nics: gpus.compactMap { type.gpus[$0].nic }, scratchBytes: n.scratch.bytes, exclusive: n.exclusive)
            }, gpuModel: a.gpuModel, sharedStorageBytes: a.sharedStorage.bytes)
    }

    /// Rebuilds an engine allocation from its view; nil when a name or index is unknown.
    public func allocation(from v: AllocationView) -> Allocation? {
        var out: [NodeAllocation] = []
        for n in v.nodes {
            guard let i = nodeIndex(named: n.node) else { return nil }
            let type = nodeType(of: nodes[i])
            var memory = DomainMemory(zeroes: type.numa.count)
            for (k, bytes) in n.memoryBytes {
                guard let d = Int(k), d >= 0, d < memory.count else { return nil }
                memory[d] = ByteSize(bytes: bytes)
            }
            guard n.gpus.allSatisfy({ $0 >= 0 && $0 < type.gpus.count }),
                n.cores.allSatisfy({ $0 >= 0 && $0 < type.cores })
            else {
                return nil
            }
            out.append(
                NodeAllocation(
                    node: i, gpus: GPUSet(n.gpus), cores: CPUSet(n.cores), memory: memory,
                    scratch: ByteSize(bytes: n.scratchBytes), exclusive: n.exclusive))
        }
        return Allocation(nodes: out, sharedStorage: ByteSize(bytes: v.sharedStorageBytes), gpuModel: v.gpuModel)
    }
}
