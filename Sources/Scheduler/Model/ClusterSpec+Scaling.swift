/// Resizing a cluster description: the same hardware, a different number of nodes. Capacity
/// planning sweeps and the benchmarks at 100,000 GPUs are built this way.
extension ClusterSpec {
    /// This spec with its nodes replaced by `count` nodes of `type`, named `prefix00001`…, `perLeaf`
    /// to a leaf switch under one spine; every partition spans all of them. Nil when the type is unknown.
    public func withNodes(ofType type: String, count: Int, perLeaf: Int = 32, prefix: String = "n") -> ClusterSpec? {
        guard nodeType(named: type) != nil, count > 0, perLeaf > 0 else { return nil }
        var spec = self
        let leaves = (count + perLeaf - 1) / perLeaf
        spec.switches =
            [FabricSwitch(name: "spine", parent: nil)]
            + (0..<leaves).map { FabricSwitch(name: "leaf\($0)", parent: "spine") }
        let width = max(5, String(count).count)
        spec.nodes = (0..<count).map { i in
            let digits = String(i + 1)
            return Node(
                name: prefix + String(repeating: "0", count: width - digits.count) + digits, type: type,
                fabricSwitch: "leaf\(i / perLeaf)", nvlinkDomain: nil)
        }
        let names = spec.nodes.map(\.name)
        spec.partitions = spec.partitions.map { p in
            var p = p
            p.nodes = names
            return p
        }
        return spec
    }
}
