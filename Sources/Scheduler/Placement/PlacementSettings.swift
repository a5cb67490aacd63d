/// The placement policies, selectable by name so they can be compared side by side.
public enum PlacementPolicyName: String, CaseIterable, Hashable, Sendable, Codable {
    /// Topology-aware packing: NUMA containment first, then the least fragmentation (docs/placement.md).
    case pack
    /// Lowest-numbered node that fits; GPUs from one socket when that node can.
    case firstFit = "first-fit"
    /// Slurm cons_tres-like: the node left with the fewest free GPUs; GPUs socket-first.
    case bestFit = "best-fit"
    /// The least loaded node.
    case spread
}

/// Placement settings from cluster.yaml's `placement` section.
public struct PlacementSettings: Hashable, Sendable, Codable {
    /// The policy the controller uses.
    public var policy: PlacementPolicyName = .pack
    /// Prior weights of request sizes (GPUs per node) for the fragmentation measure; the recent mix
    /// is learnt on top of it.
    public var shapeMix: [Int: Double] = [1: 1, 2: 1, 4: 1, 8: 1]
    /// How many placements it takes for an observed request size to lose half its weight.
    public var mixHalfLife: Int = 500

    public init() {}
}
