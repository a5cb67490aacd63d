/// A backfill plan's shadow: the cluster as it will be at the reserved start if every running job uses its
/// whole time limit, with the reserved allocation taken. It is kept as a view of the live cluster, not as a
/// copy: per node, what the running jobs that end by the start hold (free by then) and what the reserved
/// allocation takes. Every other running job holds its resources in the live cluster and keeps them at the
/// start; so a job starting now, or ending, changes the view exactly as it changes the live cluster, and
/// the view needs telling only of the jobs that end by the start (`free`, `unfree`).
struct BackfillShadow: Sendable {
    /// What the view adds to and takes from one node of the live cluster.
    struct NodeChange: Sendable {
        var node: Int
        var freedGPUs: UInt64 = 0
        var freedCores = CPUSet()
        var freedMemory = DomainMemory(zeroes: 0)
        var freedScratch = ByteSize.zero
        var freedJobs = 0
        var takenGPUs: UInt64 = 0
        var takenCores = CPUSet()
        var takenMemory = DomainMemory(zeroes: 0)
        var takenScratch = ByteSize.zero
        var takenJobs = 0
    }

    /// The nodes changed, and (once they are many) each one's place in `changes`: a plan touches a few nodes,
    /// as a rule, and a short walk costs less than a hash.
    private var changes: [NodeChange] = []
    private var positions: [Int: Int] = [:]
    private static let walked = 16
    private var freedStorage = ByteSize.zero
    private let takenStorage: ByteSize

    /// The view with the reserved allocation `taken` and nothing freed yet.
    init(taking taken: Allocation) {
        takenStorage = taken.sharedStorage
        // A plan touches a few nodes: room for them at once, not grown one by one.
        changes.reserveCapacity(4)
        for a in taken.nodes {
            let k = place(a.node)
            changes[k].takenGPUs = a.gpus.mask
            changes[k].takenCores = a.cores
            changes[k].takenMemory = a.memory
            changes[k].takenScratch = a.scratch
            changes[k].takenJobs = 1
        }
    }

    /// Node `node`'s place in `changes`, if it has one.
    private func position(_ node: Int) -> Int? {
        guard changes.count > Self.walked else { return changes.firstIndex { $0.node == node } }
        return positions[node]
    }

    /// Node `node`'s place in `changes`, made if it has none.
    private mutating func place(_ node: Int) -> Int {
        if let k = position(node) { return k }
        changes.append(NodeChange(node: node))
        if changes.count == Self.walked + 1 {
            for (k, c) in changes.enumerated() { positions[c.node] = k }
        } else if changes.count > Self.walked + 1 {
            positions[node] = changes.count - 1
        }
        return changes.count - 1
    }

    /// The resources of a running job that ends by the start: free in the view. (Each node's allocation is
    /// read in place, `allocation.nodes[i]`, not bound to a copy: it is some 150 bytes.)
    mutating func free(_ allocation: Allocation) {
        for i in allocation.nodes.indices {
            let k = place(allocation.nodes[i].node)
            changes[k].freedGPUs |= allocation.nodes[i].gpus.mask
            changes[k].freedCores = changes[k].freedCores.union(allocation.nodes[i].cores)
            let domains = allocation.nodes[i].memory.count
            if changes[k].freedMemory.count < domains {
                var grown = DomainMemory(zeroes: domains)
                for (d, m) in changes[k].freedMemory.enumerated() { grown[d] = m }
                changes[k].freedMemory = grown
            }
            for d in 0..<domains { changes[k].freedMemory[d] += allocation.nodes[i].memory[d] }
            changes[k].freedScratch += allocation.nodes[i].scratch
            changes[k].freedJobs += 1
        }
        freedStorage += allocation.sharedStorage
    }

    /// A job that `free` was told of no longer holds its allocation (it ended, or its start was undone): the
    /// live cluster has the resources back. An allocation the view does not hold as freed is ignored.
    mutating func unfree(_ allocation: Allocation) {
        guard allocation.sharedStorage <= freedStorage else { return }
        for i in allocation.nodes.indices {
            guard let k = position(allocation.nodes[i].node),
                allocation.nodes[i].gpus.mask & ~changes[k].freedGPUs == 0,
                allocation.nodes[i].cores.isSubset(of: changes[k].freedCores), changes[k].freedJobs > 0,
                allocation.nodes[i].scratch <= changes[k].freedScratch,
                allocation.nodes[i].memory.count <= changes[k].freedMemory.count,
                allocation.nodes[i].memory.indices.allSatisfy({
                    allocation.nodes[i].memory[$0] <= changes[k].freedMemory[$0]
                })
            else { return }
        }
        for i in allocation.nodes.indices {
            let k = position(allocation.nodes[i].node)!
            changes[k].freedGPUs &= ~allocation.nodes[i].gpus.mask
            changes[k].freedCores = changes[k].freedCores.subtracting(allocation.nodes[i].cores)
            for d in allocation.nodes[i].memory.indices { changes[k].freedMemory[d] -= allocation.nodes[i].memory[d] }
            changes[k].freedScratch -= allocation.nodes[i].scratch
            changes[k].freedJobs -= 1
        }
        freedStorage -= allocation.sharedStorage
    }

    /// Whether `allocation` could be taken from the view of `state`: the checks of `ClusterState.commit`.
    func admits(_ allocation: Allocation, on state: ClusterState) -> Bool {
        refusal(of: allocation, on: state, withTaken: true) == nil
    }

    /// Whether the reserved allocation could be taken from the view of `state` without it (it holds while the
    /// running jobs' allocations and the plan agree).
    func holdsReserved(_ taken: Allocation, on state: ClusterState) -> Bool {
        refusal(of: taken, on: state, withTaken: false) == nil
    }

    private func refusal(of allocation: Allocation, on state: ClusterState, withTaken: Bool) -> ClusterState.StateError?
    {
        let storage = state.freeSharedStorage + freedStorage
        let taken = withTaken ? 1 : 0
        return state.refusal(
            of: allocation, storage: withTaken ? (storage >= takenStorage ? storage - takenStorage : .zero) : storage,
            adjust: { node, n in
                guard let k = position(node) else { return }
                n.gpus = (n.gpus | changes[k].freedGPUs) & ~(withTaken ? changes[k].takenGPUs : 0)
                n.cores = n.cores.union(changes[k].freedCores)
                if withTaken { n.cores = n.cores.subtracting(changes[k].takenCores) }
                n.scratch += changes[k].freedScratch
                if withTaken {
                    n.scratch = n.scratch >= changes[k].takenScratch ? n.scratch - changes[k].takenScratch : .zero
                }
                n.jobs += changes[k].takenJobs * taken - changes[k].freedJobs
            },
            adjustMemory: { node, d, free in
                guard let k = position(node) else { return free }
                var m = free
                if d < changes[k].freedMemory.count { m += changes[k].freedMemory[d] }
                if withTaken && d < changes[k].takenMemory.count {
                    let t = changes[k].takenMemory[d]
                    m = m >= t ? m - t : .zero
                }
                return m
            })
    }
}
