/// What resolving a request needs to know about a partition.
struct PartitionFacts: Sendable {
    var members: [Int]
    var nodesPerLayout: [Int]
    var gpusPerLayout: [Int]
    var maxTime: TimeSpan
    var coresPerGPU: Int
    var memoryPerGPU: ByteSize
    var defaultCores: Int
    var defaultMemory: ByteSize
    /// The partition holds every node of the cluster.
    var isWhole: Bool
    /// Its multi-node jobs with GPUs take only their share of each node (`MultiNodeJobs.shared`).
    var gangsShare: Bool
}

/// Whether a node takes new work. The engine keeps allocations on a node whatever its availability.
public enum NodeAvailability: String, Hashable, Sendable, Codable {
    case up
    /// Runs its current jobs, takes no new ones (draining or drained).
    case drain
    /// Not reachable.
    case down
}

/// The free and used resources of every node, indexed for placement. A value: copy it to ask
/// "what if" without touching the original.
///
/// `place` decides (pure), `commit` takes what a decision chose, `release` gives it back exactly.
public struct ClusterState: Sendable {
    /// What never changes after `init`, shared by every copy (a copy, such as a backfill plan's shadow,
    /// then costs a few references).
    final class SpecIndex: Sendable {
        let spec: ClusterSpec
        /// Leaf switch names, by leaf index.
        let leaves: [String]
        let partitionIndex: [String: Int]
        let defaultPartitionIndex: Int?
        /// Node indices by name (a request's `nodelist` and `exclude`).
        let nodeIndex: [String: Int]
        /// The distinct feature sets of the nodes, and the one of each node, so that a request's `constraint`
        /// is checked once per set, not once per node.
        let featureSets: [Set<String>]
        let featureSetOf: [Int]
        /// Every feature some node has.
        let allFeatures: Set<String>

        init(
            spec: ClusterSpec, leaves: [String], partitionIndex: [String: Int], defaultPartitionIndex: Int?,
            nodeIndex: [String: Int]
        ) {
            self.spec = spec
            self.leaves = leaves
            self.partitionIndex = partitionIndex
            self.defaultPartitionIndex = defaultPartitionIndex
            self.nodeIndex = nodeIndex
            var sets: [[String]: Int] = [:]
            var ordered: [Set<String>] = []
            featureSetOf = spec.nodes.map { node in
                if let k = sets[node.features] { return k }
                sets[node.features] = ordered.count
                ordered.append(Set(node.features))
                return ordered.count - 1
            }
            featureSets = ordered
            allFeatures = ordered.reduce(into: Set()) { $0.formUnion($1) }
        }
    }

    let specIndex: SpecIndex
    public var spec: ClusterSpec { specIndex.spec }
    /// The policy `place` uses.
    public var policy: PlacementPolicyName

    struct NodeRuntime: Sendable {
        let layout: Int
        let pool: Int
        let ordinal: Int
        let leaf: Int
        var availability: NodeAvailability = .up
        var freeGPUs: UInt64
        var freeCores: CPUSet
        /// Where the node's NUMA domains start in `domainMemoryFree`, and how many it has.
        let memoryBase: Int
        let domains: Int
        var freeScratch: ByteSize
        var jobs = 0
        /// The signature of its free GPUs it is indexed under (while it is up).
        var signature = 0
    }

    /// Free memory of every NUMA domain, node after node (one flat array: a node holds no reference, so
    /// copying the cluster copies plain memory).
    var domainMemoryFree: [ByteSize]

    /// Free memory of NUMA domain `d` of node `node`.
    func memoryFree(_ node: Int, _ d: Int) -> ByteSize { domainMemoryFree[nodes[node].memoryBase + d] }

    let layouts: [NodeLayout]
    var nodes: [NodeRuntime]
    var pools: [NodePool]
    var leaves: [String] { specIndex.leaves }
    var sharedStorageFree: ByteSize
    var mix: ShapeMix
    /// The measure's changes per node type under the current mix (rebuilt when the mix is).
    var fragmentationTables: [FragmentationTable]
    /// Per partition: its nodes, and its nodes and GPUs per layout (so requests resolve without a scan).
    let partitionFacts: [PartitionFacts]
    var partitionIndex: [String: Int] { specIndex.partitionIndex }
    var defaultPartitionIndex: Int? { specIndex.defaultPartitionIndex }
    /// Free GPUs on every node, whatever their availability (kept by commit and release).
    var freeGPUTotal = 0
    /// Nodes not up, ascending: few, so refusals can name them without scanning every node.
    var unavailable: [Int] = []
    var observations = 0
    /// Commits update the measure of the job mix (false on a what-if copy, such as a backfill plan's shadow).
    var recordsMix = true

    /// An empty cluster (every node up, nothing allocated) using the spec's configured policy.
    public init(spec: ClusterSpec, policy: PlacementPolicyName? = nil) {
        self.policy = policy ?? spec.placement.policy
        let layouts = spec.nodeTypes.enumerated().map { NodeLayout($1, index: $0) }
        self.layouts = layouts
        let layoutOf = Dictionary(uniqueKeysWithValues: spec.nodeTypes.enumerated().map { ($1.name, $0) })
        let leafNames = Array(Set(spec.nodes.map(\.fabricSwitch))).sorted()
        let leafOf = Dictionary(uniqueKeysWithValues: leafNames.enumerated().map { ($1, $0) })
        let indexOf = Dictionary(spec.nodes.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        var membership: [Int: UInt64] = [:]
        var facts: [PartitionFacts] = []
        for (p, part) in spec.partitions.enumerated() {
            var f = PartitionFacts(
                members: part.nodes.compactMap { indexOf[$0] }.sorted(),
                nodesPerLayout: Array(repeating: 0, count: layouts.count),
                gpusPerLayout: Array(repeating: 0, count: layouts.count),
                maxTime: part.maxTime, coresPerGPU: part.coresPerGPU, memoryPerGPU: part.memoryPerGPU,
                defaultCores: part.defaultCores, defaultMemory: part.defaultMemory,
                isWhole: Set(part.nodes).count == spec.nodes.count, gangsShare: part.multiNodeJobs == .shared)
            for i in f.members {
                let l = layoutOf[spec.nodes[i].type]!
                f.nodesPerLayout[l] += 1
                f.gpusPerLayout[l] += layouts[l].gpuCount
                if p < 64 { membership[i, default: 0] |= 1 << UInt64(p) }
            }
            facts.append(f)
        }
        partitionFacts = facts
        specIndex = SpecIndex(
            spec: spec, leaves: leafNames,
            partitionIndex: Dictionary(
                spec.partitions.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a }),
            defaultPartitionIndex: spec.partitions.firstIndex(where: \.isDefault)
                ?? (spec.partitions.isEmpty ? nil : 0),
            nodeIndex: indexOf)
        // Pools: one per (layout, partition membership), in order of first node.
        var poolKeys: [(Int, UInt64)] = []
        var poolMembers: [[Int]] = []
        var poolOf: [Int] = []
        for (i, node) in spec.nodes.enumerated() {
            let key = (layoutOf[node.type]!, membership[i] ?? 0)
            if let p = poolKeys.firstIndex(where: { $0 == key }) {
                poolMembers[p].append(i)
                poolOf.append(p)
            } else {
                poolKeys.append(key)
                poolMembers.append([i])
                poolOf.append(poolKeys.count - 1)
            }
        }
        pools = poolKeys.enumerated().map { p, key in
            NodePool(
                layout: key.0, partitions: key.1, members: poolMembers[p],
                memberLeaves: poolMembers[p].map { leafOf[spec.nodes[$0].fabricSwitch]! },
                signatures: layouts[key.0].signatureCount, leaves: leafNames.count)
        }
        var ordinals = Array(repeating: 0, count: spec.nodes.count)
        for pool in pools { for (o, n) in pool.members.enumerated() { ordinals[n] = o } }
        var memoryFree: [ByteSize] = []
        nodes = spec.nodes.enumerated().map { i, node in
            let l = layouts[layoutOf[node.type]!]
            let base = memoryFree.count
            memoryFree += l.domainMemory
            return NodeRuntime(
                layout: layoutOf[node.type]!, pool: poolOf[i], ordinal: ordinals[i], leaf: leafOf[node.fabricSwitch]!,
                freeGPUs: l.allGPUs, freeCores: l.allCores, memoryBase: base, domains: l.domainMemory.count,
                freeScratch: l.type.scratch)
        }
        domainMemoryFree = memoryFree
        freeGPUTotal = nodes.reduce(0) { $0 + $1.freeGPUs.nonzeroBitCount }
        sharedStorageFree = spec.sharedStorage
        var mix = ShapeMix(settings: spec.placement)
        mix.refresh()
        self.mix = mix
        fragmentationTables = layouts.map { FragmentationTable(layout: $0, mix: mix) }
        for i in nodes.indices { addToIndex(i) }
    }

    // MARK: Index upkeep

    private mutating func addToIndex(_ i: Int) {
        guard nodes[i].availability == .up else { return }
        let pool = nodes[i].pool
        let ordinal = nodes[i].ordinal
        let signature = layouts[nodes[i].layout].signature(free: nodes[i].freeGPUs)
        nodes[i].signature = signature
        pools[pool].insert(ordinal: ordinal, signature: signature)
        if nodes[i].jobs == 0 {
            pools[pool].idle.insert(ordinal)
            pools[pool].idleByLeaf[nodes[i].leaf] += 1
        }
    }

    private mutating func removeFromIndex(_ i: Int) {
        guard nodes[i].availability == .up else { return }
        let pool = nodes[i].pool
        let ordinal = nodes[i].ordinal
        pools[pool].remove(ordinal: ordinal, signature: nodes[i].signature)
        if nodes[i].jobs == 0 {
            pools[pool].idle.remove(ordinal)
            pools[pool].idleByLeaf[nodes[i].leaf] -= 1
        }
    }

    /// What a commit or release changed of an up node's place in its pool's index (`change` works it out as it
    /// changes the node).
    struct IndexMove {
        var pool: Int
        var ordinal: Int
        var leaf: Int
        var oldSignature: Int
        var newSignature: Int
        var wasIdle: Bool
        var isIdle: Bool
    }

    /// An up node's free GPUs or job count changed (by a commit or a release): it moves to the bucket of its new
    /// signature, and in or out of the idle set, in one step.
    private mutating func reindex(_ m: IndexMove) {
        if m.newSignature != m.oldSignature {
            pools[m.pool].move(ordinal: m.ordinal, from: m.oldSignature, to: m.newSignature)
        }
        if m.isIdle != m.wasIdle {
            if m.isIdle {
                pools[m.pool].idle.insert(m.ordinal)
                pools[m.pool].idleByLeaf[m.leaf] += 1
            } else {
                pools[m.pool].idle.remove(m.ordinal)
                pools[m.pool].idleByLeaf[m.leaf] -= 1
            }
        }
    }

    /// Marks a node up, draining or down; its allocations stay until released.
    public mutating func setAvailability(node: Int, _ availability: NodeAvailability) {
        removeFromIndex(node)
        nodes[node].availability = availability
        addToIndex(node)
        let at = unavailable.firstIndex { $0 >= node } ?? unavailable.count
        let listed = at < unavailable.count && unavailable[at] == node
        if availability == .up && listed { unavailable.remove(at: at) }
        if availability != .up && !listed { unavailable.insert(node, at: at) }
    }

    public func availability(node: Int) -> NodeAvailability { nodes[node].availability }

    /// Every node is up and holds nothing.
    var isIdle: Bool { unavailable.isEmpty && nodes.allSatisfy { $0.jobs == 0 } }

    // MARK: Commit and release

    /// Why a commit or release was refused: the allocation does not match the state.
    /// The words are put together only when read: the simulator's backfill plan tries commits that fail
    /// on every pass.
    public struct StateError: Error, Hashable, Sendable, CustomStringConvertible {
        enum Detail: Hashable, Sendable {
            case text(String)
            case gpusTaken(node: String, GPUSet)
            case coresTaken(node: String, CPUSet)
        }

        let detail: Detail

        init(description: String) { detail = .text(description) }
        init(_ detail: Detail) { self.detail = detail }

        public var description: String {
            switch detail {
            case let .text(s): return s
            case let .gpusTaken(node, gpus): return "\(node): GPU(s) \(gpus.sorted) already allocated"
            case let .coresTaken(node, cores): return "\(node): core(s) \(cores.sorted) already allocated"
            }
        }
    }

    /// A node's free resources, as `commit` checks an allocation against them.
    struct NodeFree {
        var gpus: UInt64
        var cores: CPUSet
        var scratch: ByteSize
        var jobs: Int
        var domains: Int
    }

    /// Node `i`'s free resources.
    func nodeFree(_ i: Int) -> NodeFree {
        let n = nodes[i]
        return NodeFree(gpus: n.freeGPUs, cores: n.freeCores, scratch: n.freeScratch, jobs: n.jobs, domains: n.domains)
    }

    /// Why `allocation` could not be taken, with `storage` shared storage free, from the nodes as they are, or
    /// as `adjust` changes them (their free resources, and free memory per NUMA domain); nil when it could.
    /// `commit` asks it of the cluster; a backfill plan of the cluster as it will be at the reserved start.
    func refusal(
        of allocation: Allocation, storage: ByteSize, adjust: (Int, inout NodeFree) -> Void = { _, _ in },
        adjustMemory: (Int, Int, ByteSize) -> ByteSize = { _, _, m in m }
    ) -> StateError? {
        // Read in place (`allocation.nodes[k]`), not bound to a copy: a node's allocation is some 150 bytes.
        for k in allocation.nodes.indices {
            let node = allocation.nodes[k].node
            guard node >= 0 && node < nodes.count else { return StateError(description: "no node \(node)") }
            var n = nodeFree(node)
            adjust(node, &n)
            var name: String { spec.nodes[node].name }
            let gpus = allocation.nodes[k].gpus.mask
            if gpus & ~n.gpus != 0 {
                return StateError(.gpusTaken(node: name, GPUSet(mask: gpus & ~n.gpus)))
            }
            if !allocation.nodes[k].cores.isSubset(of: n.cores) {
                return StateError(.coresTaken(node: name, allocation.nodes[k].cores.subtracting(n.cores)))
            }
            for d in allocation.nodes[k].memory.indices
            where d >= n.domains || allocation.nodes[k].memory[d] > adjustMemory(node, d, memoryFree(node, d)) {
                return StateError(description: "\(name): not enough free memory on NUMA \(d)")
            }
            if allocation.nodes[k].scratch > n.scratch {
                return StateError(description: "\(name): not enough free scratch")
            }
            if allocation.nodes[k].exclusive && n.jobs > 0 {
                return StateError(description: "\(name): exclusive, but the node is in use")
            }
        }
        for i in allocation.nodes.indices.dropFirst()
        where allocation.nodes[..<i].contains(where: { $0.node == allocation.nodes[i].node }) {
            return StateError(description: "a node appears twice in one allocation")
        }
        if allocation.sharedStorage > storage { return StateError(description: "not enough free shared storage") }
        return nil
    }

    /// Takes the resources of `allocation`. Refuses, changing nothing, when any of them is not free.
    public mutating func commit(_ allocation: Allocation) throws(StateError) {
        if let refusal = refusal(of: allocation, storage: sharedStorageFree) { throw refusal }
        take(allocation)
    }

    /// Takes an allocation known to fit, checking it only in debug builds: one that `place` decided on this
    /// state a moment ago with nothing taken or released since (a pass starting a job), or one released a moment ago with nothing taken since (a backfill plan's look-ahead
    /// putting running jobs back).
    mutating func commitKnownToFit(_ allocation: Allocation) {
        assert(refusal(of: allocation, storage: sharedStorageFree) == nil, "an allocation known to fit does not")
        take(allocation)
    }

    private mutating func take(_ allocation: Allocation) {
        for i in allocation.nodes.indices {
            let a = allocation.nodes[i].node
            if let move = change(node: a, by: allocation, i, adding: false) { reindex(move) }
        }
        sharedStorageFree -= allocation.sharedStorage
        if recordsMix, let first = allocation.nodes.first {
            let size =
                first.exclusive ? layouts[nodes[first.node].layout].gpuCount : first.gpus.count
            mix.observe(size: size)
            observations += 1
            // The mix moves slowly; re-weighing it every 32 placements keeps commits cheap.
            if observations % 32 == 1 {
                mix.refresh()
                for l in layouts.indices {
                    fragmentationTables[l].weigh(layout: layouts[l], mix: mix)
                }
            }
        }
    }

    /// Gives back exactly what `allocation` took. Refuses, changing nothing, when any of it is free.
    public mutating func release(_ allocation: Allocation) throws(StateError) {
        if let refusal = releaseRefusal(of: allocation) { throw refusal }
        give(allocation)
    }

    /// Gives back an allocation known to be held, checking it only in debug builds: one a running job holds by
    /// the caller's own record (the simulator's job ends).
    mutating func releaseKnownHeld(_ allocation: Allocation) {
        assert(releaseRefusal(of: allocation) == nil, "an allocation known to be held is not")
        give(allocation)
    }

    /// Why `allocation` could not be given back (some of it is free, or it names what the cluster lacks).
    private func releaseRefusal(of allocation: Allocation) -> StateError? {
        // Read in place, as in `refusal`.
        for k in allocation.nodes.indices {
            let node = allocation.nodes[k].node
            guard node >= 0 && node < nodes.count else { return StateError(description: "no node \(node)") }
            var name: String { spec.nodes[node].name }
            if allocation.nodes[k].gpus.mask & nodes[node].freeGPUs != 0
                || !allocation.nodes[k].cores.isDisjoint(with: nodes[node].freeCores) || nodes[node].jobs == 0
            {
                return StateError(description: "\(name): the allocation is not held (released twice?)")
            }
            let layout = nodes[node].layout
            let base = nodes[node].memoryBase
            for d in allocation.nodes[k].memory.indices
            where d >= nodes[node].domains
                || domainMemoryFree[base + d] + allocation.nodes[k].memory[d] > layouts[layout].domainMemory[d]
            {
                return StateError(description: "\(name): releasing more memory than NUMA \(d) has")
            }
            if nodes[node].freeScratch + allocation.nodes[k].scratch > layouts[layout].type.scratch {
                return StateError(description: "\(name): releasing more scratch than the node has")
            }
        }
        if sharedStorageFree + allocation.sharedStorage > spec.sharedStorage {
            return StateError(description: "releasing more shared storage than the cluster has")
        }
        return nil
    }

    private mutating func give(_ allocation: Allocation) {
        for i in allocation.nodes.indices {
            let a = allocation.nodes[i].node
            if let move = change(node: a, by: allocation, i, adding: true) { reindex(move) }
        }
        sharedStorageFree += allocation.sharedStorage
    }

    /// Gives back (`adding`) or takes what node entry `i` of `allocation` holds of node `a`: its GPUs, cores,
    /// scratch and each domain's memory, with the node's job count and the signature it is indexed under. Each
    /// array is checked for uniqueness once, not at every field and domain (commits and releases, and a backfill
    /// plan's look-ahead, run this for every node they touch), and the entry is read in place, not copied.
    /// Returns how the node moves in its pool's index (nil when it is not up: then it is in none).
    @inline(__always)
    private mutating func change(node a: Int, by allocation: borrowing Allocation, _ i: Int, adding: Bool)
        -> IndexMove?
    {
        precondition(a >= 0 && a < nodes.count, "no node \(a)")
        let mask = allocation.nodes[i].gpus.mask
        let free = adding ? nodes[a].freeGPUs | mask : nodes[a].freeGPUs & ~mask
        let signature = layouts[nodes[a].layout].signature(free: free)
        let (move, base, domains) = nodes.withUnsafeMutableBufferPointer { n in
            let wasIdle = n[a].jobs == 0
            n[a].freeGPUs = free
            if adding {
                n[a].freeCores = n[a].freeCores.union(allocation.nodes[i].cores)
                n[a].freeScratch += allocation.nodes[i].scratch
                n[a].jobs -= 1
            } else {
                n[a].freeCores = n[a].freeCores.subtracting(allocation.nodes[i].cores)
                n[a].freeScratch -= allocation.nodes[i].scratch
                n[a].jobs += 1
            }
            var move: IndexMove?
            if n[a].availability == .up {
                move = IndexMove(
                    pool: n[a].pool, ordinal: n[a].ordinal, leaf: n[a].leaf, oldSignature: n[a].signature,
                    newSignature: signature, wasIdle: wasIdle, isIdle: n[a].jobs == 0)
                n[a].signature = signature
            }
            return (move, n[a].memoryBase, n[a].domains)
        }
        freeGPUTotal += adding ? mask.nonzeroBitCount : -mask.nonzeroBitCount
        precondition(allocation.nodes[i].memory.count <= domains, "more NUMA domains than node \(a) has")
        domainMemoryFree.withUnsafeMutableBufferPointer { m in
            for d in allocation.nodes[i].memory.indices {
                if adding {
                    m[base &+ d] += allocation.nodes[i].memory[d]
                } else {
                    m[base &+ d] -= allocation.nodes[i].memory[d]
                }
            }
        }
        return move
    }

    // MARK: Reading

    /// Free GPUs of a node.
    public func freeGPUs(node: Int) -> GPUSet { GPUSet(mask: nodes[node].freeGPUs) }
    /// Free cores of a node.
    public func freeCores(node: Int) -> CPUSet { nodes[node].freeCores }
    /// Free memory per NUMA domain of a node.
    public func freeMemory(node: Int) -> [ByteSize] {
        Array(domainMemoryFree[nodes[node].memoryBase..<nodes[node].memoryBase + nodes[node].domains])
    }
    public func freeScratch(node: Int) -> ByteSize { nodes[node].freeScratch }
    /// Allocations holding part of a node.
    public func jobCount(node: Int) -> Int { nodes[node].jobs }
    public var freeSharedStorage: ByteSize { sharedStorageFree }

    /// Checks the index against the nodes: every up node in exactly the bucket of its free GPUs,
    /// idle sets and counts consistent, nothing free beyond the hardware. Returns the problems found.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        for (i, n) in nodes.enumerated() {
            let l = layouts[n.layout]
            let name = spec.nodes[i].name
            if n.freeGPUs & ~l.allGPUs != 0 { problems.append("\(name): free GPUs outside the node") }
            if !n.freeCores.isSubset(of: l.allCores) { problems.append("\(name): free cores outside the node") }
            let freeMemory = freeMemory(node: i)
            for d in freeMemory.indices where freeMemory[d] > l.domainMemory[d] {
                problems.append("\(name): NUMA \(d) has more free memory than it holds")
            }
            if n.jobs < 0 { problems.append("\(name): negative job count") }
            if n.jobs == 0 && (n.freeGPUs != l.allGPUs || n.freeCores != l.allCores || freeMemory != l.domainMemory) {
                problems.append("\(name): no allocations but resources are missing")
            }
            let pool = pools[n.pool]
            let sig = l.signature(free: n.freeGPUs)
            for s in 0..<l.signatureCount
            where pool.buckets.contains(s, n.ordinal) != (n.availability == .up && s == sig) {
                problems.append("\(name): wrong bucket membership for signature \(s)")
            }
            if pool.idle.contains(n.ordinal) != (n.availability == .up && n.jobs == 0) {
                problems.append("\(name): idle set disagrees")
            }
        }
        for (p, pool) in pools.enumerated() {
            let expected = (0..<pool.buckets.setCount).filter { pool.buckets.count($0) > 0 }
            if expected != pool.active { problems.append("pool \(p): active signature list disagrees") }
            var perLeaf = Array(repeating: 0, count: leaves.count)
            for (o, i) in pool.members.enumerated() where pool.idle.contains(o) { perLeaf[nodes[i].leaf] += 1 }
            if perLeaf != pool.idleByLeaf { problems.append("pool \(p): idle counts per leaf disagree") }
        }
        let counted = nodes.reduce(0) { $0 + $1.freeGPUs.nonzeroBitCount }
        if counted != freeGPUTotal { problems.append("free GPU count \(freeGPUTotal) kept, \(counted) on the nodes") }
        return problems
    }
}
