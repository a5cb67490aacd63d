/// Values by job id, for the queue book's running jobs: a `Dictionary` would hash every id with SipHash on
/// each start and end, the hottest operations of a replay. Ids index an open-addressing table (linear
/// probing with entries kept in order of their homes along a run, Robin Hood; deletion by backward shift) of
/// (id, position) pairs; the values lie in a slab whose free
/// positions are reused last-freed first, so a start usually writes where an end just read.
///
/// An id's home slot comes from a multiplicative (Fibonacci) hash of the id, not from the id's own bits:
/// a 100,000-GPU replay keeps some 20,000 jobs running whose ids span several times the table's width, and
/// homes folded from the bits would pile up into runs thousands of slots long that every removal walks.
/// Hashed homes spread them at the table's load (at most half full), so runs stay a few slots long.
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
        Int(truncatingIfNeeded: (UInt64(bitPattern: id) &* 0x9E37_79B9_7F4A_7C15) >> (64 - bits))
    }

    /// How far the entry in slot `i` sits past its home.
    @inline(__always) private func distance(_ i: Int) -> Int { (i - home(slots[i].id)) & (slots.count - 1) }

    /// The slot holding `id`, if any. Entries lie in order of their homes along a run (Robin Hood), so the
    /// search stops at the first entry nearer its home than `id` would be there.
    @inline(__always) private func find(_ id: Int64) -> Int? {
        let mask = slots.count - 1
        var i = home(id)
        var d = 0
        while slots[i].at >= 0 {
            if slots[i].id == id { return i }
            if distance(i) < d { return nil }
            i = (i + 1) & mask
            d += 1
        }
        return nil
    }

    /// Puts (id, at) in the table: past its home, it takes the place of the first entry nearer its own home,
    /// which moves on in turn (Robin Hood).
    private mutating func place(_ id: Int64, at: Int32) {
        let mask = slots.count - 1
        var entry = (id: id, at: at)
        var i = home(id)
        var d = 0
        while slots[i].at >= 0 {
            let resident = distance(i)
            if resident < d {
                swap(&entry, &slots[i])
                d = resident
            }
            i = (i + 1) & mask
            d += 1
        }
        slots[i] = entry
    }

    subscript(id: Int64) -> Value? {
        get {
            guard let slot = find(id) else { return nil }
            return values[Int(slots[slot].at)]
        }
        set {
            if let newValue { insert(id, newValue) } else { removeValue(forKey: id) }
        }
    }

    /// Puts `value` under `id` (replacing one there). (Setting `table[id]` unwraps the optional it is given,
    /// copying the value, then destroys the original.)
    mutating func insert(_ id: Int64, _ value: consuming Value) {
        if let slot = find(id) {
            values[Int(slots[slot].at)] = value
            return
        }
        // At most half full: probe runs stay short.
        if (count + 1) * 2 > slots.count { grow() }
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
        place(id, at: at)
        count += 1
    }

    @discardableResult
    mutating func removeValue(forKey id: Int64) -> Value? {
        guard let slot = find(id) else { return nil }
        let at = Int(slots[slot].at)
        let value = values[at].take()
        freePositions.append(Int32(at))
        count -= 1
        // Backward shift: the entries after it that sit past their homes move back by one, up to the first
        // that sits at its home (or a free slot), so lookups still find every id without tombstones. Ids
        // start roughly in order and mostly sit at their homes, so this stops at once, where plain linear
        // probing would walk to the end of the run (thousands of slots at 100,000 GPUs).
        let mask = slots.count - 1
        var hole = slot
        var j = (hole + 1) & mask
        while slots[j].at >= 0 && distance(j) > 0 {
            slots[hole] = slots[j]
            hole = j
            j = (j + 1) & mask
        }
        slots[hole] = (0, -1)
        return value
    }

    private mutating func grow() {
        slots = Array(repeating: (0, -1), count: slots.count * 2)
        bits += 1
        for at in values.indices where values[at] != nil { place(ids[at], at: Int32(at)) }
    }

    /// What `body` makes of the value at slab position `at`, given its address (nil: a free position); the
    /// address is valid only inside `body`.
    ///
    /// (Unwrapping the optional first, as `table[position: at]?.field` or a `switch` binding does, copies the
    /// whole value through its type's witness; and a value handed to a closure the compiler does not inline,
    /// such as a backfill plan's look-ahead giving a running job's allocation back, is copied for the call, its
    /// references retained, and destroyed after. A value in an optional lies at the optional's own address, as
    /// Swift lays out every single-payload enum: it is read there.)
    @inline(__always) func withValue<T>(position at: Int, _ body: (UnsafePointer<Value>) -> T) -> T? {
        values.withUnsafeBufferPointer { v in
            if case .none = v[at] { return nil }
            return body(UnsafeRawPointer(v.baseAddress! + at).assumingMemoryBound(to: Value.self))
        }
    }

    /// Calls `body` with the id, the slab position and the address of the value of every entry, in slab order
    /// (as `withValue`, the slab walked through its buffers: no bounds check or copy per entry). A backfill
    /// plan's search walks every running job this way.
    @inline(__always) func forEachInPlace(_ body: (Int64, Int, UnsafePointer<Value>) -> Void) {
        ids.withUnsafeBufferPointer { i in
            values.withUnsafeBufferPointer { v in
                for at in v.indices {
                    if case .none = v[at] { continue }
                    body(i[at], at, UnsafeRawPointer(v.baseAddress! + at).assumingMemoryBound(to: Value.self))
                }
            }
        }
    }

    func makeIterator() -> some IteratorProtocol<(key: Int64, value: Value)> {
        zip(ids, values).lazy.compactMap { id, value in value.map { (key: id, value: $0) } }.makeIterator()
    }
}

extension JobTable: Sendable where Value: Sendable {}
