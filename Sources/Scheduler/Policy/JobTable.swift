/// Values by job id, for the queue book's running jobs: a `Dictionary` would hash every id with SipHash on
/// each start and end, which a million-job replay showed. Ids index an open-addressing table (linear
/// probing, deletion by backward shift) of (id, position) pairs; the values lie in a slab whose free
/// positions are reused last-freed first, so a start usually writes where an end just read.
///
/// An id's home slot is the id folded onto the table's width (its higher bits xored into the lower): ids are
/// given out in increasing order, and jobs start roughly in that order, so starts fill neighbouring slots
/// instead of a random one each (a 100,000-GPU replay keeps some 20,000 jobs running, in a table bigger than
/// a cache), while ids that differ only in high bits still spread.
///
/// Walks go in slab order, which is the same on every run (no per-process seed); callers that need an
/// order sort, as with a dictionary.
struct JobTable<Value>: Sequence {
    /// (id, position in the slab); a negative position marks a free slot.
    private var slots: [(id: Int64, at: Int32)]
    /// The slab: ids and values by position (nil: free).
    private var ids: [Int64] = []
    private var values: [Value?] = []
    private var freePositions: [Int32] = []
    private(set) var count = 0
    /// log2(slot count).
    private var bits: UInt64

    init() {
        slots = Array(repeating: (0, -1), count: 16)
        bits = 4
    }

    var isEmpty: Bool { count == 0 }

    @inline(__always) private func home(_ id: Int64) -> Int {
        var x = UInt64(bitPattern: id)
        var h: UInt64 = 0
        while x != 0 {
            h ^= x
            x >>= bits
        }
        return Int(truncatingIfNeeded: h) & (slots.count - 1)
    }

    /// The slot holding `id`, or the free slot where its probe run ends (`found` false).
    @inline(__always) private func probe(_ id: Int64) -> (slot: Int, found: Bool) {
        let mask = slots.count - 1
        var i = home(id)
        while slots[i].at >= 0 {
            if slots[i].id == id { return (i, true) }
            i = (i + 1) & mask
        }
        return (i, false)
    }

    subscript(id: Int64) -> Value? {
        get {
            let p = probe(id)
            return p.found ? values[Int(slots[p.slot].at)] : nil
        }
        set {
            if let newValue { insert(id, newValue) } else { removeValue(forKey: id) }
        }
    }

    private mutating func insert(_ id: Int64, _ value: Value) {
        var p = probe(id)
        if p.found {
            values[Int(slots[p.slot].at)] = value
            return
        }
        // At most half full: probe runs stay short.
        if (count + 1) * 2 > slots.count {
            grow()
            p = probe(id)
        }
        let at: Int32
        if let reused = freePositions.popLast() {
            at = reused
            ids[Int(at)] = id
            values[Int(at)] = value
        } else {
            at = Int32(values.count)
            ids.append(id)
            values.append(value)
        }
        slots[p.slot] = (id, at)
        count += 1
    }

    @discardableResult
    mutating func removeValue(forKey id: Int64) -> Value? {
        let p = probe(id)
        guard p.found else { return nil }
        let at = Int(slots[p.slot].at)
        let value = values[at].take()
        freePositions.append(Int32(at))
        count -= 1
        // Backward shift: later entries of the probe run move into the hole unless their home lies
        // (cyclically) after it, so every lookup still finds its id without tombstones.
        let mask = slots.count - 1
        var hole = p.slot
        var j = (hole + 1) & mask
        while slots[j].at >= 0 {
            let h = home(slots[j].id)
            let between = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j)
            if !between {
                slots[hole] = slots[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        slots[hole] = (0, -1)
        return value
    }

    private mutating func grow() {
        slots = Array(repeating: (0, -1), count: slots.count * 2)
        bits += 1
        let mask = slots.count - 1
        for at in values.indices where values[at] != nil {
            var i = home(ids[at])
            while slots[i].at >= 0 { i = (i + 1) & mask }
            slots[i] = (ids[at], Int32(at))
        }
    }

    /// Slab positions, for a walk that reads one field of each value in place (`self[position:]?.field`) rather
    /// than copying every value (and retaining what it holds), as iteration does.
    var positions: Range<Int> { values.indices }
    /// The id at slab position `at`, and the value (nil: a free position).
    func id(position at: Int) -> Int64 { ids[at] }
    subscript(position at: Int) -> Value? {
        _read { yield values[at] }
    }

    func makeIterator() -> some IteratorProtocol<(key: Int64, value: Value)> {
        zip(ids, values).lazy.compactMap { id, value in value.map { (key: id, value: $0) } }.makeIterator()
    }
}

extension JobTable: Sendable where Value: Sendable {}
