/// Values by job id, for the queue book's running jobs: a `Dictionary` would hash every id with SipHash on
/// each start and end, which a million-job replay showed. Ids index an open-addressing table (Fibonacci
/// hashing, linear probing, deletion by backward shift) of (id, position) pairs; the values lie densely in
/// insertion order (a removal moves the last one into the gap), so a walk over them touches no empty slot.
///
/// Walks go in the table's own order, which is the same on every run (no per-process seed); callers that
/// need an order sort, as with a dictionary.
struct JobTable<Value>: Sequence {
    /// (id, position in `ids`/`values`); `empty` marks a free slot.
    private var slots: [(id: Int64, at: Int32)]
    private var ids: [Int64] = []
    private var values: [Value] = []
    /// 64 − log2(slot count): an id's home slot is the top bits of id × 2⁶⁴/φ.
    private var shift: UInt64
    private static var empty: Int32 { -1 }

    init() {
        slots = Array(repeating: (0, Self.empty), count: 16)
        shift = 60
    }

    var count: Int { values.count }
    var isEmpty: Bool { values.isEmpty }

    @inline(__always) private func home(_ id: Int64) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: id) &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The slot holding `id`, or nil.
    private func find(_ id: Int64) -> Int? {
        let mask = slots.count - 1
        var i = home(id)
        while slots[i].at != Self.empty {
            if slots[i].id == id { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    subscript(id: Int64) -> Value? {
        get { find(id).map { values[Int(slots[$0].at)] } }
        set {
            if let newValue { insert(id, newValue) } else { removeValue(forKey: id) }
        }
    }

    private mutating func insert(_ id: Int64, _ value: Value) {
        if let s = find(id) {
            values[Int(slots[s].at)] = value
            return
        }
        // At most half full: probes stay short.
        if (values.count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var i = home(id)
        while slots[i].at != Self.empty { i = (i + 1) & mask }
        slots[i] = (id, Int32(values.count))
        ids.append(id)
        values.append(value)
    }

    @discardableResult
    mutating func removeValue(forKey id: Int64) -> Value? {
        guard let s = find(id) else { return nil }
        let at = Int(slots[s].at)
        let value = values[at]
        // The last value fills the gap; its slot learns its new position.
        let last = values.count - 1
        if at != last {
            let moved = ids[last]
            values.swapAt(at, last)
            ids[at] = moved
            slots[find(moved)!].at = Int32(at)
        }
        values.removeLast()
        ids.removeLast()
        // Backward shift: later entries of the probe run move into the hole unless their home lies
        // (cyclically) after it, so every lookup still finds its id without tombstones.
        let mask = slots.count - 1
        var hole = s
        var j = (s + 1) & mask
        while slots[j].at != Self.empty {
            let h = home(slots[j].id)
            let between = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j)
            if !between {
                slots[hole] = slots[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        slots[hole] = (0, Self.empty)
        return value
    }

    private mutating func grow() {
        slots = Array(repeating: (0, Self.empty), count: slots.count * 2)
        shift -= 1
        let mask = slots.count - 1
        for (at, id) in ids.enumerated() {
            var i = home(id)
            while slots[i].at != Self.empty { i = (i + 1) & mask }
            slots[i] = (id, Int32(at))
        }
    }

    func makeIterator() -> some IteratorProtocol<(key: Int64, value: Value)> {
        zip(ids, values).lazy.map { (key: $0, value: $1) }.makeIterator()
    }
}

extension JobTable: Sendable where Value: Sendable {}
