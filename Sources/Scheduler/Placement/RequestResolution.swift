/// A request with the partition's defaults applied, checked against what the cluster could ever give.
/// A reference: the simulator keeps one per distinct request and hands it to every placement.
final class ResolvedRequest: Sendable {
    let request: ResourceRequest
    let partition: Int
    let partitionBit: UInt64
    /// Per layout: its per-node shape, or why that node type can never hold the job.
    let shapes: [Result<NodeShape, PlacementRefusal>]
    /// The nodes it may use when it has `nodelist`, `exclude` or `constraint`; nil (every node of the
    /// partition) otherwise.
    let filter: NodeFilter?

    init(
        request: ResourceRequest, partition: Int, partitionBit: UInt64, shapes: [Result<NodeShape, PlacementRefusal>],
        filter: NodeFilter? = nil
    ) {
        self.request = request
        self.partition = partition
        self.partitionBit = partitionBit
        self.shapes = shapes
        self.filter = filter
    }
}

/// What a job needs from each node of one type.
struct NodeShape: Hashable, Sendable {
    var nodes: Int
    var gpusPerNode: Int
    var cores: Int
    var memory: ByteSize
    var scratch: ByteSize
    var exclusive: Bool
    /// Whether one GPU domain of the node type has as many cores and as much memory as the shape asks for
    /// (`NodeLayout.oneDomainHolds`): if not, its GPUs are spread so that each domain's share fits. Worked out
    /// when the request is resolved, not at every placement.
    var oneDomain = true
    var gang: Bool { nodes > 1 }
}

extension ClusterState {
    /// Applies defaults and refuses what is invalid or can never fit, without looking at what is free.
    func resolve(_ r: ResourceRequest) -> Result<ResolvedRequest, PlacementRefusal> {
        func invalid(_ m: String) -> Result<ResolvedRequest, PlacementRefusal> { .failure(.init(.invalid, m)) }
        func never(_ m: String) -> Result<ResolvedRequest, PlacementRefusal> { .failure(.init(.neverFits, m)) }
        if let g = r.gpus, g < 0 { return invalid("GPU count must not be negative (\(g))") }
        if let c = r.cpus, c < 0 { return invalid("CPU count must not be negative (\(c))") }
        if let n = r.nodes, n < 1 { return invalid("a job needs at least 1 node, not \(n)") }
        if let g = r.gpusPerNode, g < 1 { return invalid("gpusPerNode must be at least 1, not \(g)") }
        // Requests built in code (schedctl's flags, traces) are bounded here as the readers bound theirs, so
        // the arithmetic below cannot overflow.
        if let why = r.boundsProblem { return invalid(why) }
        if r.gpus != nil && r.gpuMemory != nil { return invalid("give either gpus or gpuMemory, not both") }
        if let m = r.gpuMemory, m == .zero { return invalid("gpuMemory must be more than 0") }
        if let g = r.gpus, let n = r.nodes, let per = r.gpusPerNode, g != n * per {
            return invalid("\(g) GPUs requested, but \(n) nodes × \(per) GPUs per node is \(n * per)")
        }

        let p: Int
        if let name = r.partition {
            guard let i = partitionIndex[name] else {
                return invalid(
                    "unknown partition '\(name)' (partitions: \(spec.partitions.map(\.name).joined(separator: ", ")))")
            }
            p = i
        } else {
            guard let i = defaultPartitionIndex else { return invalid("the cluster has no partition") }
            p = i
        }
        var partition: Partition { spec.partitions[p] }  // read only on the way to a refusal
        if let a = r.account {
            if !spec.accounts.isEmpty && !spec.accounts.contains(where: { $0.name == a }) {
                return invalid(
                    "unknown account '\(a)' (accounts: \(spec.accounts.map(\.name).joined(separator: ", ")))")
            }
            if !partition.accounts.isEmpty && !partition.accounts.contains(a) {
                return invalid(
                    "account '\(a)' may not use partition \(partition.name) (allowed: \(partition.accounts.joined(separator: ", ")))"
                )
            }
        }
        var filter: NodeFilter?
        if r.filtersNodes {
            switch nodeFilter(r, partition: p) {
            case let .success(f): filter = f
            case let .failure(e): return .failure(e)
            }
        }
        // A job runs on exactly its nodelist. (The request is read where it is, not copied to set its node
        // count: it is resolved on every placement of a request not shared.)
        let nodes = r.nodes ?? filter?.listed?.count
        if r.nodes == nil, let g = r.gpus, let n = nodes, let per = r.gpusPerNode, g != n * per {
            return invalid("\(g) GPUs requested, but \(n) nodes (the nodelist) × \(per) GPUs per node is \(n * per)")
        }
        if let refusal = timeLimitRefusal(r.time, partition: p) { return .failure(refusal) }
        if let s = r.storage, s > spec.sharedStorage {
            return never("\(s) of shared storage requested; the cluster has \(spec.sharedStorage)")
        }

        let wantsGPUs =
            (r.gpus ?? 0) > 0 || r.gpuMemory != nil || r.gpusPerNode != nil
            || (r.gpus == nil && nodes.map { $0 > 1 } == true)
        // Model filters, applied to every node type of the partition.
        if r.gpuModel != nil || r.minGpuMemory != nil {
            let withGPUs = layouts.indices.filter {
                partitionFacts[p].nodesPerLayout[$0] > 0 && layouts[$0].gpuCount > 0
            }
            let models = Set(withGPUs.compactMap { layouts[$0].gpuModel }).sorted()
            if let m = r.gpuModel {
                let everywhere = Set(layouts.compactMap(\.gpuModel))
                if !everywhere.contains(where: { $0.caseInsensitiveCompare(m) == .orderedSame }) {
                    return never("no node has GPU model \(m) (models: \(everywhere.sorted().joined(separator: ", ")))")
                }
                if !models.contains(where: { $0.caseInsensitiveCompare(m) == .orderedSame }) {
                    return never(
                        "partition \(partition.name) has no node with GPU model \(m) (it has: \(models.joined(separator: ", ")))"
                    )
                }
            }
            if let min = r.minGpuMemory, !withGPUs.contains(where: { layouts[$0].gpuMemory >= min }) {
                let best = withGPUs.max { layouts[$0].gpuMemory < layouts[$1].gpuMemory }
                let largest = best.map { "\(layouts[$0].gpuModel ?? "?"), \(layouts[$0].gpuMemory)" } ?? "none"
                return never("no GPU has at least \(min) of memory (largest: \(largest))")
            }
        }

        // Node types of the partition that meet the GPU filters, as a mask (at most 64 node types).
        var eligibleMask: UInt64 = 0
        let filtering = wantsGPUs || r.gpuModel != nil || r.minGpuMemory != nil
        for (l, layout) in layouts.enumerated() where partitionFacts[p].nodesPerLayout[l] > 0 {
            if filtering {
                guard layout.gpuCount > 0 else { continue }
                if let m = r.gpuModel, layout.gpuModel?.caseInsensitiveCompare(m) != .orderedSame { continue }
                if let min = r.minGpuMemory, layout.gpuMemory < min { continue }
            }
            eligibleMask |= 1 << UInt64(l)
        }
        func eligible(_ l: Int) -> Bool { eligibleMask & (1 << UInt64(l)) != 0 }
        if eligibleMask == 0 {
            return never("partition \(partition.name) has no node with GPUs")
        }
        if let g = r.gpus, g > 0 {
            var total = 0
            for l in layouts.indices where eligible(l) { total += partitionFacts[p].gpusPerLayout[l] }
            if g > total {
                let everything = spec.totalGPUs
                let whole = partitionFacts[p].isWhole && r.gpuModel == nil && r.minGpuMemory == nil
                return never(
                    whole
                        ? "\(g) GPUs requested; the cluster has \(everything)"
                        : "\(g) GPUs requested; partition \(partition.name) has \(total)\(r.gpuModel.map { " \($0)" } ?? "") (the cluster \(everything))"
                )
            }
        }

        var shapes: [Result<NodeShape, PlacementRefusal>] = []
        shapes.reserveCapacity(layouts.count)
        var anyShape = false
        for l in layouts.indices {
            guard eligible(l) else {
                shapes.append(.failure(.init(.neverFits, "not eligible")))
                continue
            }
            let s = shape(r, nodes: nodes, layout: l, partition: p)
            if case .success = s { anyShape = true }
            shapes.append(s)
        }
        if let filter, let why = narrow(&shapes, anyShape: &anyShape, to: filter) { return .failure(why) }
        if !anyShape {
            // Every eligible node type refused the shape: the first one's reason.
            for l in layouts.indices where eligible(l) {
                if case let .failure(e) = shapes[l] { return .failure(e) }
            }
        }
        return .success(
            ResolvedRequest(request: r, partition: p, partitionBit: 1 << UInt64(p), shapes: shapes, filter: filter))
    }

    /// Narrows a filtered request's shapes to the nodes it may use: a node type with fewer of them than the job
    /// needs cannot hold it (`anyShape` is updated). Returns why its nodelist can never hold it, or nil.
    @inline(never)
    private func narrow(
        _ shapes: inout [Result<NodeShape, PlacementRefusal>], anyShape: inout Bool, to filter: NodeFilter
    ) -> PlacementRefusal? {
        anyShape = false
        for l in shapes.indices {
            if case let .success(found) = shapes[l], let why = filteredShapeRefusal(found, layout: l, filter) {
                shapes[l] = .failure(why)
            }
            if case .success = shapes[l] { anyShape = true }
        }
        guard let listed = filter.listed else { return nil }
        return nodelistRefusal(listed, shapes: shapes)
    }

    /// Why node type `l` cannot hold `shape` on the nodes `filter` leaves (too few of them), or nil.
    private func filteredShapeRefusal(_ shape: NodeShape, layout l: Int, _ filter: NodeFilter) -> PlacementRefusal? {
        var allowed = 0
        for p in pools.indices where pools[p].layout == l { allowed += filter.counts[p] }
        guard allowed < shape.nodes else { return nil }
        let type = layouts[l].name
        return PlacementRefusal(
            .neverFits,
            "\(shape.nodes) nodes requested; \(allowed) of the nodes it may use (\(filter.text)) \(allowed == 1 ? "is a" : "are") \(type) node\(allowed == 1 ? "" : "s")"
        )
    }

    /// Why the nodes of a nodelist cannot hold the job: one of them has a type that cannot (the reason), or a
    /// multi-node job's nodes are of different types (a gang runs on one type); nil when they can.
    private func nodelistRefusal(_ listed: [Int], shapes: [Result<NodeShape, PlacementRefusal>]) -> PlacementRefusal? {
        let types = Set(listed.map { nodes[$0].layout })
        if listed.count > 1 && types.count > 1 {
            let named = types.sorted().map { l in
                "\(layouts[l].name) (\(spec.nodes[listed.first { nodes[$0].layout == l }!].name))"
            }
            return PlacementRefusal(
                .neverFits,
                "a multi-node job runs on nodes of one type; its nodelist has \(named.joined(separator: ", "))")
        }
        for i in listed {
            guard case let .failure(e) = shapes[nodes[i].layout] else { continue }
            let why = e.reason == "not eligible" ? "its GPUs do not meet the request" : e.reason
            return PlacementRefusal(
                e.kind, "nodelist node \(spec.nodes[i].name) (\(layouts[nodes[i].layout].name)): \(why)")
        }
        return nil
    }

    /// Why a time limit is refused in partition `p` (longer than its maximum, or not positive), or nil.
    func timeLimitRefusal(_ time: TimeSpan?, partition p: Int) -> PlacementRefusal? {
        guard let t = time else { return nil }
        if t > partitionFacts[p].maxTime {
            let partition = spec.partitions[p]
            return .init(
                .neverFits, "time limit \(t) exceeds partition \(partition.name)'s maximum of \(partition.maxTime)")
        }
        if t.seconds <= 0 { return .init(.invalid, "time limit must be more than 0") }
        return nil
    }

    /// Why `request`'s time limit is refused in its partition, or nil (also when the partition is unknown:
    /// `resolve` says so).
    func timeLimitRefusal(_ request: ResourceRequest) -> PlacementRefusal? {
        guard request.time != nil else { return nil }
        let p = request.partition.map { partitionIndex[$0] } ?? defaultPartitionIndex
        guard let p else { return nil }
        return timeLimitRefusal(request.time, partition: p)
    }

    /// The per-node shape of a request on node type `l` (with `nodes` nodes, when it or its nodelist says),
    /// or why that type can never hold it.
    private func shape(
        _ r: ResourceRequest, nodes: Int?, layout l: Int, partition p: Int
    ) -> Result<NodeShape, PlacementRefusal> {
        let layout = layouts[l]
        let type = layout
        let nodesOfType = partitionFacts[p].nodesPerLayout[l]
        var partition: Partition { spec.partitions[p] }  // read only on the way to a refusal
        func never(_ m: String) -> Result<NodeShape, PlacementRefusal> { .failure(.init(.neverFits, m)) }
        var total = r.gpus ?? 0
        if let m = r.gpuMemory {
            guard layout.gpuMemory > .zero else { return never("a \(type.name) node's GPUs have no memory size") }
            total = Int((m.bytes + layout.gpuMemory.bytes - 1) / layout.gpuMemory.bytes)
        }
        if total == 0, let n = nodes, r.gpus == nil { total = n * (r.gpusPerNode ?? layout.gpuCount) }
        var nodeCount = nodes ?? 1
        if nodes == nil && total > layout.gpuCount {
            nodeCount = (total + layout.gpuCount - 1) / layout.gpuCount
        }
        var perNode = r.gpusPerNode ?? 0
        if r.gpusPerNode == nil {
            if r.gpuMemory != nil {
                perNode = (total + nodeCount - 1) / nodeCount
            } else {
                guard total % nodeCount == 0 else {
                    return .failure(
                        .init(
                            .invalid,
                            "\(total) GPUs do not split evenly over \(nodeCount) nodes; ask for a multiple of \(nodeCount), or set gpusPerNode"
                        ))
                }
                perNode = total / nodeCount
            }
        }
        if perNode > layout.gpuCount {
            return never("\(perNode) GPUs per node requested; a \(type.name) node has \(layout.gpuCount)")
        }
        if nodeCount > nodesOfType {
            return never(
                "\(nodeCount) nodes requested; partition \(partition.name) has \(nodesOfType) \(type.name) node\(nodesOfType == 1 ? "" : "s")"
            )
        }
        let exclusive = r.exclusive || (nodeCount > 1 && (perNode == 0 || !partitionFacts[p].gangsShare))
        let cores = r.cpus ?? (perNode > 0 ? perNode * partitionFacts[p].coresPerGPU : partitionFacts[p].defaultCores)
        let memory =
            r.memory ?? (perNode > 0 ? partitionFacts[p].memoryPerGPU * perNode : partitionFacts[p].defaultMemory)
        if cores > type.cores {
            return never("\(cores) cores per node requested; a \(type.name) node has \(type.cores)")
        }
        if memory > type.memory {
            return never("\(memory) of memory per node requested; a \(type.name) node has \(type.memory)")
        }
        // Kept inside one domain, its cores and memory come from that domain alone.
        let oneDomain = layout.oneDomainHolds(cores: cores, memory: memory)
        if r.sameNuma && perNode > 0 && perNode <= layout.maxDomainGPUs && !exclusive && !oneDomain {
            return never(
                "\(cores) cores and \(memory) of memory requested in one NUMA domain (sameNuma); a \(type.name) "
                    + "domain has at most \(layout.maxDomainCores) cores and \(layout.maxDomainMemory)")
        }
        let scratch = r.scratch ?? .zero
        if scratch > type.scratch {
            return never("\(scratch) of scratch per node requested; a \(type.name) node has \(type.scratch)")
        }
        if perNode == 0 && cores == 0 && memory == .zero {
            return .failure(.init(.invalid, "the request asks for nothing: give gpus, gpuMemory, cpus or memory"))
        }
        return .success(
            NodeShape(
                nodes: nodeCount, gpusPerNode: perNode, cores: cores, memory: memory, scratch: scratch,
                exclusive: exclusive, oneDomain: oneDomain))
    }
}
