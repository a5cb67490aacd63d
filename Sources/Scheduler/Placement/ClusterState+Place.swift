/// A placement decision: the allocation and a note on how it was chosen.
public struct PlacementDecision: Hashable, Sendable {
    public var allocation: Allocation
    public var note: PlacementNote
}

/// One way to place a single-node request on the nodes of one bucket.
struct PlacementOption {
    var pool: Int
    var signature: Int
    /// GPUs taken per signature digit, as a mixed-radix number like the signature.
    var take: Int
    /// Spans NUMA domains although the request would fit inside one.
    var spans: Bool
    var key: (Int, Double, Int, Int)

    static func < (a: PlacementOption, b: PlacementOption) -> Bool {
        a.key < b.key
    }
}

/// What stopped nodes during a decision, kept to explain a refusal.
struct CheckTally {
    var nodesChecked = 0
    var lackCores: (node: Int, domain: Int, free: Int, need: Int)?
    var lackMemory: (node: Int, domain: Int, free: ByteSize, need: ByteSize)?
    var lackScratch: (node: Int, free: ByteSize)?
}

extension ClusterState {
    /// Decides where `request` runs now, or says exactly why it cannot. Changes nothing: pass the
    /// decision's allocation to `commit` to take it.
    public func place(_ request: ResourceRequest) -> Result<PlacementDecision, PlacementRefusal> {
        place(request, explain: true)
    }

    /// `place`, optionally without working out the words of a not-now refusal (the simulator does not read
    /// them): its reason is then empty.
    func place(_ request: ResourceRequest, explain: Bool) -> Result<PlacementDecision, PlacementRefusal> {
        switch resolve(request) {
        case let .success(r): return place(resolved: r, explain: explain)
        case let .failure(e): return .failure(e)
        }
    }

    /// `place` for a shared request, with the resolution it carries when that was made on this cluster.
    func place(_ shared: QueuePass.SharedRequest, explain: Bool) -> Result<PlacementDecision, PlacementRefusal> {
        guard shared.resolvedOn === specIndex else { return place(shared.request, explain: explain) }
        guard shared.resolved != nil else { return .failure(shared.refused!) }
        // (Passed as the shared request holds it, which outlives the call: bound to a constant first, it would
        // count a reference on every placement.)
        return place(resolved: shared.resolved!, explain: explain)
    }

    /// `place` for a request already resolved on this cluster.
    func place(resolved: ResolvedRequest, explain: Bool) -> Result<PlacementDecision, PlacementRefusal> {
        let request = resolved.request
        if let s = request.storage, s > sharedStorageFree {
            return .failure(
                .init(
                    .notNow, "\(s) of shared storage requested; \(sharedStorageFree) of \(spec.sharedStorage) is free"))
        }
        var tally = CheckTally()
        let shapes = resolved.shapes
        // Gangs and exclusive jobs take idle nodes; everything else goes through the signature index.
        var anyShape = NodeShape(nodes: 1, gpusPerNode: 0, cores: 0, memory: .zero, scratch: .zero, exclusive: false)
        for case let .success(s) in shapes {
            anyShape = s
            break
        }
        let result: PlacementDecision?
        if anyShape.exclusive {
            result = placeWholeNodes(resolved, tally: &tally)
        } else if anyShape.gang {
            result = placeSharedGang(resolved, tally: &tally)
        } else if anyShape.gpusPerNode == 0 {
            result = placeWithoutGPUs(resolved, tally: &tally)
        } else {
            result = placeSingleNode(resolved, tally: &tally)
        }
        if let result { return .success(result) }
        return .failure(explain ? explainNotNow(resolved, tally: tally) : PlacementRefusal(.notNow, ""))
    }

    /// Pools whose nodes are in the request's partition, whose type can hold its shape, and (a filtered
    /// request) with a node it may use.
    func eligiblePools(_ r: ResolvedRequest) -> [(pool: Int, shape: NodeShape)] {
        var out: [(Int, NodeShape)] = []
        for (p, pool) in pools.enumerated() where pool.partitions & r.partitionBit != 0 {
            if let f = r.filter, f.counts[p] == 0 { continue }
            if case let .success(shape) = r.shapes[pool.layout] { out.append((p, shape)) }
        }
        return out
    }

    /// The lowest node ordinal ≥ `start` in bucket `sig` of pool `p` that `r` may use.
    @inline(__always)
    func nextInBucket(_ p: Int, _ sig: Int, from start: Int, _ r: ResolvedRequest) -> Int? {
        guard let f = r.filter else { return pools[p].buckets.next(sig, from: start) }
        return pools[p].buckets.next(sig, from: start, in: f.masks[p])
    }

    /// The lowest idle node ordinal ≥ `start` of pool `p` that `r` may use.
    func nextIdle(_ p: Int, from start: Int, _ r: ResolvedRequest) -> Int? {
        guard let f = r.filter else { return pools[p].idle.next(from: start) }
        return pools[p].idle.next(from: start, in: f.masks[p])
    }

    // MARK: Single node, with GPUs

    private func placeSingleNode(_ r: ResolvedRequest, tally: inout CheckTally) -> PlacementDecision? {
        // The best option almost always has a node with the cores and memory it needs: it is found without
        // keeping the options, and tried first. Only when none of its nodes can take the job are the options
        // kept and sorted (on a large cluster they are too many to keep on the stack, and the common case then
        // allocates no buffer at all).
        var best = PlacementOption(pool: -1, signature: 0, take: 0, spans: false, key: (.max, .infinity, .max, .max))
        var count = 0
        forEachSingleNodeOption(r) { option in
            count &+= 1
            if count == 1 || option < best { best = option }
        }
        guard count > 0 else { return nil }
        var trial = tally
        if let d = decision(option: best, r, scored: count, tally: &trial) {
            tally = trial
            return d
        }
        // At most one option per GPU domain plus one spanning option per bucket.
        var bound = 1
        for p in pools.indices where pools[p].partitions & r.partitionBit != 0 {
            bound += pools[p].active.count * (layouts[pools[p].layout].capacity.count + 1)
        }
        return withUnsafeTemporaryAllocation(of: PlacementOption.self, capacity: bound) { buffer in
            placeSingleNode(r, tally: &tally, buffer: buffer)
        }
    }

    /// Every option for a single-node request: per bucket of each pool in its partition, each GPU domain that
    /// can hold it (pack; the policy's pick otherwise), or one spanning option.
    private func forEachSingleNodeOption(_ r: ResolvedRequest, _ add: (PlacementOption) -> Void) {
        let pack = policy == .pack
        for p in pools.indices where pools[p].partitions & r.partitionBit != 0 {
            guard case let .success(shape) = r.shapes[pools[p].layout] else { continue }
            if let f = r.filter, f.counts[p] == 0 { continue }
            let layout = layouts[pools[p].layout]
            // The pool's signatures are read where the cluster holds them.
            pools[p].active.withUnsafeBufferPointer { active in
                forEachOption(pool: p, signatures: active, layout: layout, shape: shape, r, pack: pack, add)
            }
        }
    }

    /// `forEachSingleNodeOption` on the buckets of pool `p` (its active signatures), whose nodes have `layout`
    /// and can hold `shape`.
    @inline(__always)
    private func forEachOption(
        pool p: Int, signatures: UnsafeBufferPointer<Int>, layout: NodeLayout, shape: NodeShape,
        _ r: ResolvedRequest, pack: Bool, _ add: (PlacementOption) -> Void
    ) {
        let g = shape.gpusPerNode
        let wholeNode = g == layout.gpuCount
        // A request asking for more cores or memory than one domain has cannot stay inside one, whatever
        // its GPU count: its GPUs are spread over the domains, so that each share of cores and memory fits.
        let oneDomain = g > layout.maxDomainGPUs || shape.oneDomain
        for sig in signatures {
            let total = layout.total(sig)
            guard total >= g else { continue }
            guard let first = nextInBucket(p, sig, from: 0, r) else { continue }
            let nodeIndex = pools[p].members[first]
            let after = total - g
            var contained = false
            if g <= layout.maxDomainGPUs && !wholeNode && oneDomain {
                // Inside one domain: every domain with room is a choice (pack), or the policy's pick.
                // Domains with equal free GPUs score alike but may differ in free cores and memory.
                var chosenDigit: Int?
                for k in layout.capacity.indices {
                    let f = layout.digit(sig, k)
                    guard f >= g else { continue }
                    contained = true
                    if pack {
                        let take = g * layout.radix[k]
                        let delta = fragmentationDelta(
                            layout: layout, signature: sig, take: take, total: total, gpus: g)
                        add(
                            PlacementOption(
                                pool: p, signature: sig, take: take, spans: false, key: (1, delta, after, nodeIndex)
                            ))
                    } else if chosenDigit == nil || (policy == .bestFit && f < layout.digit(sig, chosenDigit!)) {
                        chosenDigit = k
                    }
                }
                if let k = chosenDigit {
                    add(
                        PlacementOption(
                            pool: p, signature: sig, take: g * layout.radix[k], spans: false,
                            key: baselineKey(after: after, node: nodeIndex)))
                }
            }
            if !contained && !(r.request.sameNuma && g <= layout.maxDomainGPUs) {
                guard
                    let take = oneDomain
                        ? spanningTake(layout: layout, signature: sig, gpus: g)
                        : evenTake(
                            layout: layout, signature: sig, gpus: g, cores: shape.cores, memory: shape.memory)
                else { continue }
                // Spanning ranks after every contained option on any node type, and by the number of
                // domains it spans: a request never spans more domains than some node could hold it in.
                let spans = g <= layout.maxDomainGPUs
                let touched = layout.nonZeroDigits(take)
                if pack {
                    let delta = fragmentationDelta(
                        layout: layout, signature: sig, take: take, total: total, gpus: g)
                    add(
                        PlacementOption(
                            pool: p, signature: sig, take: take, spans: spans,
                            key: (touched, delta, after, nodeIndex)))
                } else {
                    add(
                        PlacementOption(
                            pool: p, signature: sig, take: take, spans: spans,
                            key: baselineKey(after: after, node: nodeIndex)))
                }
            }
        }
    }

    /// Tries every option, best first (the sort is put off until the best one has failed).
    private func placeSingleNode(
        _ r: ResolvedRequest, tally: inout CheckTally, buffer: UnsafeMutableBufferPointer<PlacementOption>
    ) -> PlacementDecision? {
        var count = 0
        forEachSingleNodeOption(r) { option in
            (buffer.baseAddress! + count).initialize(to: option)
            count += 1
        }
        let options = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
        if let best = options.indices.min(by: { options[$0] < options[$1] }), best != 0 {
            options.swapAt(0, best)
        }
        var sorted = false
        var index = 0
        while index < options.count {
            if index == 1 && !sorted {
                var rest = UnsafeMutableBufferPointer(rebasing: options[1...])
                rest.sort(by: <)
                sorted = true
            }
            let option = options[index]
            index += 1
            if let d = decision(option: option, r, scored: options.count, tally: &tally) { return d }
        }
        return nil
    }

    /// The first node of the option's bucket that can take the request, as a decision (`scored`: the options
    /// weighed).
    private func decision(option: PlacementOption, _ r: ResolvedRequest, scored: Int, tally: inout CheckTally)
        -> PlacementDecision?
    {
        let layout = layouts[pools[option.pool].layout]
        // Options are made only on pools whose node type can hold the request (`forEachSingleNodeOption`).
        guard case let .success(shape) = r.shapes[pools[option.pool].layout] else {
            assertionFailure("an option on a pool whose node type cannot hold the request")
            return nil
        }
        var ordinal = nextInBucket(option.pool, option.signature, from: 0, r)
        while let o = ordinal {
            let node = pools[option.pool].members[o]
            if let a = allocate(node: node, layout: layout, take: option.take, shape: shape, tally: &tally) {
                let delta =
                    policy == .pack
                    ? option.key.1
                    : fragmentationDelta(
                        layout: layout, signature: option.signature, take: option.take,
                        total: layout.total(option.signature), gpus: shape.gpusPerNode)
                let kind: PlacementNote.Shape =
                    shape.gpusPerNode == layout.gpuCount
                    ? .wholeNode
                    : (option.spans
                        ? .numaSpanning
                        : (takesOneDomain(layout, option.take) ? .numaContained : .numaSpanning))
                return PlacementDecision(
                    allocation: Allocation(
                        nodes: [a], sharedStorage: r.request.storage ?? .zero, gpuModel: layout.gpuModel),
                    note: PlacementNote(
                        kind: kind, fragmentationDelta: delta, candidatesScored: scored,
                        nodesChecked: tally.nodesChecked))
            }
            ordinal = nextInBucket(option.pool, option.signature, from: o + 1, r)
        }
        return nil
    }

    private func takesOneDomain(_ layout: NodeLayout, _ take: Int) -> Bool { layout.nonZeroDigits(take) <= 1 }

    private func baselineKey(after: Int, node: Int) -> (Int, Double, Int, Int) {
        switch policy {
        case .firstFit, .pack: (0, 0, 0, node)
        case .bestFit: (0, 0, after, node)
        case .spread: (0, 0, -after, node)
        }
    }

    /// Change of the fragmentation measure when `take` GPUs leave a node of signature `sig`.
    func fragmentationDelta(layout: NodeLayout, signature sig: Int, take: Int, total: Int, gpus g: Int) -> Double {
        let table = fragmentationTables[layout.index]
        var delta = table.totalDelta(free: total, gpus: g)
        for k in layout.capacity.indices {
            let t = layout.digit(take, k)
            guard t > 0 else { continue }
            delta += table.domainDelta(cap: layout.capacity[k], free: layout.digit(sig, k), taken: t)
        }
        return delta
    }

    /// GPUs per domain for a request that spans domains: whole domains, largest first, then the
    /// remainder from the domain that fits it most tightly — the fewest domains possible.
    func spanningTake(layout: NodeLayout, signature sig: Int, gpus g: Int) -> Int {
        var remaining = g
        var used: UInt64 = 0
        var take = 0
        while remaining > 0 {
            var best: Int?
            for k in layout.capacity.indices where used & (1 << UInt64(k)) == 0 {
                let f = layout.digit(sig, k)
                if f >= remaining && (best == nil || f < layout.digit(sig, best!)) { best = k }
            }
            if let k = best {
                take += remaining * layout.radix[k]
                return take
            }
            var largest = -1
            for k in layout.capacity.indices where used & (1 << UInt64(k)) == 0 {
                if largest < 0 || layout.digit(sig, k) > layout.digit(sig, largest) { largest = k }
            }
            let f = layout.digit(sig, largest)
            take += f * layout.radix[largest]
            remaining -= f
            used |= 1 << UInt64(largest)
        }
        return take
    }

    /// GPUs per domain for a request whose GPUs one domain could hold but whose cores or memory it cannot: spread
    /// as evenly as the free GPUs allow over the fewest domains (those with the most free GPUs) whose shares of
    /// cores and memory each fit; nil when fewer than `g` GPUs are free or no such spread exists.
    func evenTake(layout: NodeLayout, signature sig: Int, gpus g: Int, cores: Int, memory: ByteSize) -> Int? {
        guard layout.total(sig) >= g else { return nil }
        let order = layout.capacity.indices.sorted { (-layout.digit(sig, $0), $0) < (-layout.digit(sig, $1), $1) }
        for m in 2...max(2, order.count) where m <= order.count {
            let chosen = order.prefix(m)
            guard chosen.reduce(0, { $0 + layout.digit(sig, $1) }) >= g else { continue }
            var per = [Int](repeating: 0, count: layout.capacity.count)
            var left = g
            while left > 0 {
                for k in chosen where left > 0 && per[k] < layout.digit(sig, k) {
                    per[k] += 1
                    left -= 1
                }
            }
            // Each domain's share, as `allocate` takes it (in proportion to its GPUs; the last domain takes what
            // rounding left, so each is checked rounded up).
            let fits = chosen.allSatisfy { k in
                let d = layout.gpuDomains[k]
                return (cores * per[k] + g - 1) / g <= layout.domainCores[d].count
                    && (memory.bytes / UInt64(g) + 1) * UInt64(per[k]) <= layout.domainMemory[d].bytes
            }
            if fits { return per.indices.reduce(0) { $0 + per[$1] * layout.radix[$1] } }
        }
        return nil
    }

    /// Builds the allocation of `take` GPUs on `node` with cores and memory from the GPUs' domains,
    /// or nil (tallying why) when those domains lack cores, memory or the node lacks scratch.
    func allocate(node: Int, layout: NodeLayout, take: Int, shape: NodeShape, tally: inout CheckTally)
        -> NodeAllocation?
    {
        tally.nodesChecked += 1
        if shape.scratch > nodes[node].freeScratch {
            tally.lackScratch = tally.lackScratch ?? (node, nodes[node].freeScratch)
            return nil
        }
        let freeGPUs = nodes[node].freeGPUs
        let freeCores = nodes[node].freeCores
        let g = shape.gpusPerNode
        var gpus: UInt64 = 0
        var cores = CPUSet()
        var memory = DomainMemory(zeroes: layout.domainMemory.count)
        var coresLeft = shape.cores
        var memoryLeft = shape.memory.bytes
        var gpusLeft = g
        for k in layout.capacity.indices {
            let t = layout.digit(take, k)
            guard t > 0 else { continue }
            let d = layout.gpuDomains[k]
            gpus |= GPUSet(mask: freeGPUs & layout.domainGPUs[d]).lowest(t)!.mask
            // This domain's share of cores and memory is proportional to its share of the GPUs;
            // the last domain takes what rounding left.
            // (Wrapping: t ≤ gpusLeft ≤ g, so each share is at most the whole and nothing goes below zero.)
            let last = gpusLeft == t
            let c = last ? coresLeft : shape.cores &* t / g
            let m = last ? memoryLeft : shape.memory.bytes / UInt64(g) &* UInt64(t)
            gpusLeft &-= t
            let free = freeCores.intersection(layout.domainCores[d])
            guard let picked = free.lowest(c) else {
                tally.lackCores = tally.lackCores ?? (node, d, free.count, c)
                return nil
            }
            guard memoryFree(node, d).bytes >= m else {
                tally.lackMemory = tally.lackMemory ?? (node, d, memoryFree(node, d), ByteSize(bytes: m))
                return nil
            }
            cores = cores.union(picked)
            memory[d] = ByteSize(bytes: m)
            coresLeft &-= c
            memoryLeft &-= m
        }
        return NodeAllocation(
            node: node, gpus: GPUSet(mask: gpus), cores: cores, memory: memory, scratch: shape.scratch, exclusive: false
        )
    }

    // MARK: Without GPUs

    /// CPU-only work goes where GPUs are already used up, leaving nodes with free GPUs for GPU jobs.
    private func placeWithoutGPUs(_ r: ResolvedRequest, tally: inout CheckTally) -> PlacementDecision? {
        var candidates: [(key: (Int, Int), pool: Int, sig: Int)] = []
        for (p, _) in eligiblePools(r) {
            let layout = layouts[pools[p].layout]
            for sig in pools[p].active {
                guard let first = nextInBucket(p, sig, from: 0, r) else { continue }
                candidates.append(((layout.total(sig), pools[p].members[first]), p, sig))
            }
        }
        candidates.sort { $0.key < $1.key }
        for c in candidates {
            let pool = pools[c.pool]
            let layout = layouts[pool.layout]
            // Candidates come only from pools whose node type can hold the request (`eligiblePools`).
            guard case let .success(shape) = r.shapes[pool.layout] else {
                assertionFailure("a candidate on a pool whose node type cannot hold the request")
                continue
            }
            var ordinal = nextInBucket(c.pool, c.sig, from: 0, r)
            while let o = ordinal {
                let node = pool.members[o]
                if let a = allocateCPUOnly(node: node, layout: layout, shape: shape, tally: &tally) {
                    return PlacementDecision(
                        allocation: Allocation(nodes: [a], sharedStorage: r.request.storage ?? .zero, gpuModel: nil),
                        note: PlacementNote(
                            kind: .cpuOnly, fragmentationDelta: 0, candidatesScored: candidates.count,
                            nodesChecked: tally.nodesChecked))
                }
                ordinal = nextInBucket(c.pool, c.sig, from: o + 1, r)
            }
        }
        return nil
    }

    /// Cores and memory from one domain when one can hold them (the one with the fewest free GPUs),
    /// else from the domains with the most free cores.
    private func allocateCPUOnly(node: Int, layout: NodeLayout, shape: NodeShape, tally: inout CheckTally)
        -> NodeAllocation?
    {
        tally.nodesChecked += 1
        let n = nodes[node]
        if shape.scratch > n.freeScratch {
            tally.lackScratch = tally.lackScratch ?? (node, n.freeScratch)
            return nil
        }
        var memory = DomainMemory(zeroes: layout.domainMemory.count)
        let domains = layout.domainMemory.indices.sorted {
            let a = (n.freeGPUs & layout.domainGPUs[$0]).nonzeroBitCount
            let b = (n.freeGPUs & layout.domainGPUs[$1]).nonzeroBitCount
            return (a, $0) < (b, $1)
        }
        for d in domains {
            let free = n.freeCores.intersection(layout.domainCores[d])
            if let picked = free.lowest(shape.cores), memoryFree(node, d) >= shape.memory {
                memory[d] = shape.memory
                return NodeAllocation(
                    node: node, gpus: GPUSet(), cores: picked, memory: memory, scratch: shape.scratch, exclusive: false)
            }
        }
        // Spread over domains, most free cores first.
        var cores = CPUSet()
        var coresLeft = shape.cores
        var memoryLeft = shape.memory
        for d in layout.domainMemory.indices.sorted(by: {
            (-n.freeCores.intersection(layout.domainCores[$0]).count, $0) < (
                -n.freeCores.intersection(layout.domainCores[$1]).count, $1
            )
        }) where coresLeft > 0 || memoryLeft > .zero {
            let free = n.freeCores.intersection(layout.domainCores[d])
            let c = min(coresLeft, free.count)
            let m = min(memoryLeft, memoryFree(node, d))
            cores = cores.union(free.lowest(c)!)
            memory[d] = m
            coresLeft -= c
            memoryLeft -= m
        }
        if coresLeft > 0 {
            tally.lackCores = tally.lackCores ?? (node, -1, n.freeCores.count, shape.cores)
            return nil
        }
        if memoryLeft > .zero {
            tally.lackMemory = tally.lackMemory ?? (node, -1, freeMemory(node: node).reduce(.zero, +), shape.memory)
            return nil
        }
        return NodeAllocation(
            node: node, gpus: GPUSet(), cores: cores, memory: memory, scratch: shape.scratch, exclusive: false)
    }

    // MARK: Gangs on shared nodes

    /// A multi-node job in a partition whose gangs share nodes (`Partition.multiNodeJobs`): `shape.nodes`
    /// distinct nodes of one type, all or nothing, each share placed as a one-node job of the per-node shape
    /// would be. The single-node options of every bucket are tried best first, and each option's nodes in
    /// order, until the gang has its nodes; a node is taken once. Leaf switches are not weighed (whole-node
    /// gangs keep to the fewest).
    private func placeSharedGang(_ r: ResolvedRequest, tally: inout CheckTally) -> PlacementDecision? {
        let pack = policy == .pack
        let byType = Dictionary(grouping: eligiblePools(r), by: { pools[$0.pool].layout })
        for l in byType.keys.sorted() {
            let group = byType[l]!
            let shape = group[0].shape
            let layout = layouts[l]
            var options: [PlacementOption] = []
            for (p, _) in group {
                pools[p].active.withUnsafeBufferPointer { active in
                    forEachOption(pool: p, signatures: active, layout: layout, shape: shape, r, pack: pack) {
                        options.append($0)
                    }
                }
            }
            options.sort(by: <)
            var picked: [NodeAllocation] = []
            var taken = Set<Int>()
            search: for option in options {
                var ordinal = nextInBucket(option.pool, option.signature, from: 0, r)
                while let o = ordinal {
                    let node = pools[option.pool].members[o]
                    if !taken.contains(node),
                        let a = allocate(node: node, layout: layout, take: option.take, shape: shape, tally: &tally)
                    {
                        picked.append(a)
                        taken.insert(node)
                        if picked.count == shape.nodes { break search }
                    }
                    ordinal = nextInBucket(option.pool, option.signature, from: o + 1, r)
                }
            }
            guard picked.count == shape.nodes else { continue }
            return PlacementDecision(
                allocation: Allocation(
                    nodes: picked.sorted { $0.node < $1.node }, sharedStorage: r.request.storage ?? .zero,
                    gpuModel: layout.gpuModel),
                note: PlacementNote(
                    kind: .gang, fragmentationDelta: 0, candidatesScored: options.count,
                    nodesChecked: tally.nodesChecked))
        }
        return nil
    }

    // MARK: Whole nodes: exclusive jobs and multi-node gangs

    /// Whole idle nodes, all or nothing, on the fewest leaf switches.
    private func placeWholeNodes(_ r: ResolvedRequest, tally: inout CheckTally) -> PlacementDecision? {
        // Candidate node types, best first: the one that needs the fewest GPUs, then declaration order.
        let byType = Dictionary(grouping: eligiblePools(r), by: { pools[$0.pool].layout })
        let order = byType.keys.sorted { a, b in
            let sa = byType[a]![0].shape
            let sb = byType[b]![0].shape
            return (sa.nodes * sa.gpusPerNode, a) < (sb.nodes * sb.gpusPerNode, b)
        }
        for l in order {
            let group = byType[l]!
            let shape = group[0].shape
            let layout = layouts[l]
            var idleByLeaf = Array(repeating: 0, count: leaves.count)
            if r.filter == nil {
                for (p, _) in group { for leaf in leaves.indices { idleByLeaf[leaf] += pools[p].idleByLeaf[leaf] } }
            } else {
                // Only the idle nodes it may use count.
                for (p, _) in group {
                    var o = nextIdle(p, from: 0, r)
                    while let ordinal = o {
                        idleByLeaf[nodes[pools[p].members[ordinal]].leaf] += 1
                        o = nextIdle(p, from: ordinal + 1, r)
                    }
                }
            }
            let need = shape.nodes
            guard idleByLeaf.reduce(0, +) >= need else { continue }
            // One leaf if any holds the gang (the tightest such), else the leaves with most idle nodes.
            var chosen: [Int] = []
            if let best = leaves.indices.filter({ idleByLeaf[$0] >= need }).min(by: {
                (idleByLeaf[$0], $0) < (idleByLeaf[$1], $1)
            }) {
                chosen = [best]
            } else {
                var count = 0
                for leaf in leaves.indices.sorted(by: { (-idleByLeaf[$0], $0) < (-idleByLeaf[$1], $1) })
                where count < need {
                    chosen.append(leaf)
                    count += idleByLeaf[leaf]
                }
            }
            var picked: [Int] = []
            for leaf in chosen {
                var candidates: [Int] = []
                for (p, _) in group {
                    // Start at the leaf's first member: nodes are usually declared leaf by leaf.
                    var o = pools[p].firstOrdinal[leaf].flatMap { nextIdle(p, from: $0, r) }
                    while let ordinal = o, candidates.count < need - picked.count {
                        let node = pools[p].members[ordinal]
                        if nodes[node].leaf == leaf { candidates.append(node) }
                        o = nextIdle(p, from: ordinal + 1, r)
                    }
                }
                picked.append(contentsOf: candidates.sorted().prefix(need - picked.count))
                tally.nodesChecked += candidates.count
            }
            guard picked.count == need else { continue }
            var allocations: [NodeAllocation] = []
            let full = layout.gpuCount > 0 ? (0..<layout.gpuCount).reduce(0) { $0 + (1 << $1) } : 0
            for node in picked.sorted() {
                let sig = layout.signature(free: UInt64(full))
                let take =
                    shape.gpusPerNode <= layout.maxDomainGPUs && shape.gpusPerNode > 0
                    ? shape.gpusPerNode * layout.radix[layout.capacity.firstIndex { $0 >= shape.gpusPerNode }!]
                    : spanningTake(layout: layout, signature: sig, gpus: shape.gpusPerNode)
                var gpus: UInt64 = 0
                for k in layout.capacity.indices where layout.digit(take, k) > 0 {
                    gpus |= GPUSet(mask: layout.domainGPUs[layout.gpuDomains[k]]).lowest(layout.digit(take, k))!.mask
                }
                allocations.append(
                    NodeAllocation(
                        node: node, gpus: GPUSet(mask: gpus), cores: layout.allCores,
                        memory: DomainMemory(layout.domainMemory),
                        scratch: layout.type.scratch, exclusive: true))
            }
            return PlacementDecision(
                allocation: Allocation(
                    nodes: allocations, sharedStorage: r.request.storage ?? .zero, gpuModel: layout.gpuModel),
                note: PlacementNote(
                    kind: need > 1 ? .gang : .wholeNode, fragmentationDelta: 0, candidatesScored: leaves.count,
                    nodesChecked: tally.nodesChecked))
        }
        return nil
    }
}
