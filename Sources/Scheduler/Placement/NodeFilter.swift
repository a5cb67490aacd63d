/// The nodes a request with `nodelist`, `exclude` or `constraint` may use, worked out when it is resolved. A
/// request without them has no filter and may use every node of its partition: placement then takes its
/// usual path, and a filtered request the same path with each pool's nodes masked. A reference: placement
/// reads it on every bucket it visits.
final class NodeFilter: Sendable {
    /// Per pool: a bit per member ordinal, set for the members the request may use (no words for a pool it
    /// may use none of).
    let masks: [[UInt64]]
    /// Per pool: how many of its members the request may use.
    let counts: [Int]
    /// The filters in words, for refusals ("nodelist dgx[01-02], excluding dgx03, features nvlink").
    let text: String
    /// The nodes `nodelist` names (node indices, each once), nil without one.
    let listed: [Int]?

    init(masks: [[UInt64]], counts: [Int], text: String, listed: [Int]?) {
        self.masks = masks
        self.counts = counts
        self.text = text
        self.listed = listed
    }

    func contains(pool p: Int, ordinal o: Int) -> Bool {
        o >> 6 < masks[p].count && masks[p][o >> 6] & (1 << UInt64(o & 63)) != 0
    }
}

extension ClusterState {
    /// The filter of `r` (already bounded) in partition `p`, nil when it has none; refuses unknown node names
    /// and features, and a filter that leaves no node of the partition.
    func nodeFilter(_ r: ResourceRequest, partition p: Int) -> Result<NodeFilter?, PlacementRefusal> {
        guard r.filtersNodes else { return .success(nil) }
        func invalid(_ m: String) -> Result<NodeFilter?, PlacementRefusal> { .failure(.init(.invalid, m)) }
        func never(_ m: String) -> Result<NodeFilter?, PlacementRefusal> { .failure(.init(.neverFits, m)) }
        func listed(_ names: [String]) -> String {
            names.prefix(5).map { TerminalText.escaped($0) }.joined(separator: ", ") + (names.count > 5 ? ", …" : "")
        }
        /// The nodes a host list names, or why it cannot be used.
        func hosts(_ field: String, _ text: String) -> Result<[Int], PlacementRefusal> {
            guard let names = ResourceRequest.hostNames(text), !names.isEmpty else {
                return .failure(
                    .init(
                        .invalid,
                        "\(field): cannot read host list '\(TerminalText.escaped(text))' (write dgx01, dgx[01-03] or dgx[01-03],dgx05)"
                    ))
            }
            let unknown = names.filter { specIndex.nodeIndex[$0] == nil }
            if !unknown.isEmpty {
                return .failure(
                    .init(.invalid, "\(field): unknown node\(unknown.count == 1 ? "" : "s") \(listed(unknown))"))
            }
            return .success(names.map { specIndex.nodeIndex[$0]! })
        }
        var words: [String] = []
        var listedNodes: [Int]?
        if let text = r.nodelist {
            switch hosts("nodelist", text) {
            case let .success(n): listedNodes = n
            case let .failure(e): return .failure(e)
            }
            if let n = r.nodes, n != listedNodes!.count {
                return invalid(
                    "nodelist names \(listedNodes!.count) node\(listedNodes!.count == 1 ? "" : "s") but nodes is \(n): a job runs on exactly its nodelist"
                )
            }
            words.append("nodelist \(TerminalText.escaped(text))")
        }
        var excluded = Set<Int>()
        if let text = r.exclude {
            switch hosts("exclude", text) {
            case let .success(n): excluded = Set(n)
            case let .failure(e): return .failure(e)
            }
            words.append("excluding \(TerminalText.escaped(text))")
        }
        var constraint: NodeConstraint?
        if let text = r.constraint {
            do {
                constraint = try NodeConstraint(parsing: text)
            } catch {
                return invalid("constraint: \(error.description)")
            }
            let unknown = constraint!.features.filter { !specIndex.allFeatures.contains($0) }
            if !unknown.isEmpty {
                let known = specIndex.allFeatures.sorted()
                return invalid(
                    "constraint: unknown feature\(unknown.count == 1 ? "" : "s") \(listed(unknown)) (features: \(known.isEmpty ? "none declared" : listed(known)))"
                )
            }
            words.append("features \(constraint!.description)")
        }
        let partition = spec.partitions[p]
        let bit: UInt64 = 1 << UInt64(p)
        // Whether each distinct feature set meets the constraint.
        let meets = specIndex.featureSets.map { constraint?.matches($0) ?? true }
        if let listedNodes {
            for i in listedNodes {
                let name = spec.nodes[i].name
                if excluded.contains(i) { return invalid("node \(name) is both in nodelist and in exclude") }
                if pools[nodes[i].pool].partitions & bit == 0 {
                    return never("nodelist node \(name) is not in partition \(partition.name)")
                }
                if !meets[specIndex.featureSetOf[i]] {
                    let has = spec.nodes[i].features
                    return never(
                        "nodelist node \(name) does not meet constraint \(constraint!.description) (its features: \(has.isEmpty ? "none" : has.joined(separator: ", ")))"
                    )
                }
            }
        }
        var masks = pools.map { [UInt64](repeating: 0, count: ($0.members.count + 63) / 64) }
        var counts = Array(repeating: 0, count: pools.count)
        func allow(_ i: Int) {
            let (pool, o) = (nodes[i].pool, nodes[i].ordinal)
            guard pools[pool].partitions & bit != 0, !excluded.contains(i), meets[specIndex.featureSetOf[i]] else {
                return
            }
            guard masks[pool][o >> 6] & (1 << UInt64(o & 63)) == 0 else { return }
            masks[pool][o >> 6] |= 1 << UInt64(o & 63)
            counts[pool] += 1
        }
        if let listedNodes {
            for i in listedNodes { allow(i) }
        } else {
            for i in partitionFacts[p].members { allow(i) }
        }
        for k in pools.indices where counts[k] == 0 { masks[k] = [] }
        let text = words.joined(separator: ", ")
        if counts.allSatisfy({ $0 == 0 }) {
            return never("no node of partition \(partition.name) is left to use (\(text))")
        }
        return .success(NodeFilter(masks: masks, counts: counts, text: text, listed: listedNodes))
    }
}
