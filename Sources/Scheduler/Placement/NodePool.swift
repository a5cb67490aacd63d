/// Nodes of one type and the same partition membership, indexed by their free-GPU signature.
///
/// Every node of a bucket has the same free GPUs per NUMA domain, so a decision scores a bucket once
/// and only looks at its lowest-numbered nodes: the cost follows the number of distinct signatures
/// (25 for a DGX), not the number of nodes.
struct NodePool: Sendable {
    let layout: Int
    /// Bit p set: the pool's nodes are in partition p.
    let partitions: UInt64
    /// Global node indices, ascending; a node's ordinal is its position here.
    let members: [Int]
    /// Nodes accepting work, by signature id.
    var buckets: NodeBitsets
    /// Signature ids with at least one node, ascending.
    var active: [Int] = []
    /// Nodes accepting work with nothing allocated.
    var idle: NodeBitset
    /// Idle nodes per leaf switch (by leaf index).
    var idleByLeaf: [Int]
    /// The first member ordinal on each leaf, nil for leaves without members.
    var firstOrdinal: [Int?]

    init(layout: Int, partitions: UInt64, members: [Int], memberLeaves: [Int], signatures: Int, leaves: Int) {
        self.layout = layout
        self.partitions = partitions
        self.members = members
        buckets = NodeBitsets(sets: signatures, capacity: members.count)
        idle = NodeBitset(capacity: members.count)
        idleByLeaf = Array(repeating: 0, count: leaves)
        firstOrdinal = Array(repeating: nil, count: leaves)
        for (o, leaf) in memberLeaves.enumerated() where firstOrdinal[leaf] == nil { firstOrdinal[leaf] = o }
    }

    mutating func insert(ordinal: Int, signature: Int) {
        if buckets.count(signature) == 0 {
            let at = active.firstIndex { $0 > signature } ?? active.count
            active.insert(signature, at: at)
        }
        buckets.insert(signature, ordinal)
    }

    /// A node's free GPUs changed from signature `old` to `new`.
    mutating func move(ordinal: Int, from old: Int, to new: Int) {
        let (emptied, entered) = buckets.move(ordinal, from: old, to: new)
        if emptied, let at = active.firstIndex(of: old) {
            // The new signature takes the old one's entry (on a small cluster a node's bucket is usually its
            // own: this is most moves), so the list is not shifted twice; else the entry goes to the end.
            settle(entered ? new : .max, from: at)
            if !entered { active.removeLast() }
            return
        }
        if entered {
            active.append(new)
            settle(new, from: active.count - 1)
        }
    }

    /// Puts `signature` in the entry at `from` and moves it to its place in order, the entries between
    /// shifting by one. (By hand: the standard library's `remove(at:)` and `insert(_:at:)` are not inlined,
    /// and a commit or release moves a node on every change of its free GPUs.)
    private mutating func settle(_ signature: Int, from: Int) {
        active.withUnsafeMutableBufferPointer { a in
            // (Wrapping arithmetic: `i` stays inside the list.)
            var i = from
            while i &+ 1 < a.count && a[i &+ 1] < signature {
                a[i] = a[i &+ 1]
                i &+= 1
            }
            while i > 0 && a[i &- 1] > signature {
                a[i] = a[i &- 1]
                i &-= 1
            }
            a[i] = signature
        }
    }

    mutating func remove(ordinal: Int, signature: Int) {
        buckets.remove(signature, ordinal)
        if buckets.count(signature) == 0, let at = active.firstIndex(of: signature) {
            active.remove(at: at)
        }
    }
}
