/// What one node gives a job.
public struct NodeAllocation: Hashable, Sendable {
    /// The node's index in the cluster spec.
    public var node: Int
    public var gpus: GPUSet
    /// Physical core ids.
    public var cores: CPUSet
    /// Host memory taken from each NUMA domain of the node, indexed by domain.
    public var memory: DomainMemory
    public var scratch: ByteSize
    /// The job holds the whole node.
    public var exclusive: Bool

    /// NUMA domains the job's memory comes from.
    public var numaDomains: [Int] { memory.indices.filter { memory[$0] > .zero } }
}

/// A job's resources: one entry per node, plus its share of the shared storage.
public struct Allocation: Hashable, Sendable {
    public var nodes: [NodeAllocation]
    public var sharedStorage: ByteSize
    /// The GPU model the job got, when it has GPUs.
    public var gpuModel: String?

    public var gpuCount: Int { nodes.reduce(0) { $0 + $1.gpus.count } }
}

/// Why a decision came out as it did, and what it cost.
public struct PlacementNote: Hashable, Sendable {
    /// How a placement lies on the nodes' NUMA domains.
    public enum Shape: String, Hashable, Sendable {
        case numaContained = "numa-contained"
        case numaSpanning = "numa-spanning"
        case wholeNode = "whole-node"
        case gang
        case cpuOnly = "cpu-only"
    }

    /// How it lies (a decision is made, copied and dropped many times a pass: an enum, not a string, so
    /// that costs no reference counting).
    public var kind: Shape
    /// Its name: "numa-contained", "numa-spanning", "whole-node", "gang", "cpu-only".
    public var shape: String { kind.rawValue }
    /// Change of the fragmentation measure (GPUs) this placement causes.
    public var fragmentationDelta: Double
    /// Buckets of equal nodes the decision scored (the work it did; independent of cluster size).
    public var candidatesScored: Int
    /// Nodes whose cores, memory or scratch were checked.
    public var nodesChecked: Int
}
