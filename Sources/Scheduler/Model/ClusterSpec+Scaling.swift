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

extension ClusterSpec {
    /// This spec with `count` nodes of `type` and every other node kept: existing nodes of the type are kept
    /// up to `count` (in order), new ones (`TYPE-0001`…) go on new leaf switches of `perLeaf` under the
    /// spine of the first leaf, and join every partition that held a node of the type (every partition
    /// when none did). Nil for an unknown type or a negative count. The sizing sweep is built on it.
    public func withCount(of type: String, _ count: Int, perLeaf: Int = 32) -> ClusterSpec? {
        guard nodeType(named: type) != nil, count >= 0, perLeaf > 0 else { return nil }
        var spec = self
        let existing = nodes.filter { $0.type == type }
        let dropped = Set(existing.dropFirst(count).map(\.name))
        var added: [Node] = []
        if count > existing.count {
            let parent = switches.first { $0.parent == nil }?.name
            let extra = count - existing.count
            let leaves = (extra + perLeaf - 1) / perLeaf
            let leafNames = (0..<leaves).map { "\(type)-leaf\($0)" }
            spec.switches += leafNames.map { FabricSwitch(name: $0, parent: parent) }
            // Types whose NVLink spans nodes come in racks: new nodes fill racks as large as the existing ones.
            let rackSize =
                nodeType(named: type)!.interconnect == .nvlinkDomain
                ? max(
                    Dictionary(grouping: existing.compactMap(\.nvlinkDomain), by: { $0 }).values.map(\.count).max()
                        ?? 18, 1)
                : nil
            added = (0..<extra).map { i in
                Node(
                    name: "\(type)-" + String(format: "%04d", existing.count + i + 1), type: type,
                    fabricSwitch: leafNames[i / perLeaf], nvlinkDomain: rackSize.map { "\(type)-rack\(i / $0)" })
            }
        }
        spec.nodes = nodes.filter { !dropped.contains($0.name) } + added
        let typed = Set(existing.map(\.name))
        let newNames = added.map(\.name)
        spec.partitions = partitions.map { p in
            var p = p
            let hadType = p.nodes.contains { typed.contains($0) } || existing.isEmpty
            p.nodes = p.nodes.filter { !dropped.contains($0) } + (hadType ? newNames : [])
            return p
        }
        return spec
    }
}
