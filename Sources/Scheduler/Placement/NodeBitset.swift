/// A fixed number of sets of small integers (pool-local node ordinals), all of one capacity, each with a
/// summary level, so a set's lowest member and the next member after one are found in a few word
/// operations, whatever the capacity.
///
/// The sets share one flat array (every set's size, then every set's summary, then every set's words)
/// rather than arrays of their own: copying a cluster (a backfill plan's shadow) then costs one reference
/// per family, not two per set (a DGX pool has 25 signature sets), and a change checks one array's
/// uniqueness, not three (commits and releases change them on every node they touch).
struct NodeBitsets: Hashable, Sendable {
    private var storage: [UInt64]
    /// How many sets; words, and summary words, per set; where the summaries and the words start.
    let setCount: Int
    private let stride: Int
    private let summaryStride: Int
    private let summaryBase: Int
    private let wordBase: Int

    init(sets: Int, capacity: Int) {
        setCount = sets
        stride = max(1, (capacity + 63) / 64)
        summaryStride = (stride + 63) / 64
        summaryBase = sets
        wordBase = sets + summaryStride * sets
        storage = Array(repeating: 0, count: wordBase + stride * sets)
    }

    /// Members of set `s`.
    func count(_ s: Int) -> Int { Int(storage[s]) }

    func contains(_ s: Int, _ i: Int) -> Bool {
        storage[wordBase + s * stride + i >> 6] & (1 << UInt64(i & 63)) != 0
    }

    mutating func insert(_ s: Int, _ i: Int) {
        let w = i >> 6
        let bit: UInt64 = 1 << UInt64(i & 63)
        let at = wordBase + s * stride + w
        guard storage[at] & bit == 0 else { return }
        storage[at] |= bit
        storage[summaryBase + s * summaryStride + w >> 6] |= 1 << UInt64(w & 63)
        storage[s] += 1
    }

    mutating func remove(_ s: Int, _ i: Int) {
        let w = i >> 6
        let bit: UInt64 = 1 << UInt64(i & 63)
        let at = wordBase + s * stride + w
        guard storage[at] & bit != 0 else { return }
        storage[at] &= ~bit
        if storage[at] == 0 { storage[summaryBase + s * summaryStride + w >> 6] &= ~(1 << UInt64(w & 63)) }
        storage[s] -= 1
    }

    /// Moves `i` from set `from`, which holds it, to set `to`, which does not. Returns whether `from` is left
    /// empty and whether `i` is the only member of `to` (a pool keeps its list of non-empty sets by them).
    ///
    /// This and `next` run on every commit, release and decision: their index arithmetic wraps (every
    /// offset is inside the storage, by construction; `next` checks its set only in debug builds), so they
    /// carry no overflow checks.
    @discardableResult
    mutating func move(_ i: Int, from: Int, to: Int) -> (emptied: Bool, entered: Bool) {
        let w = i &>> 6
        let bit: UInt64 = 1 &<< UInt64(i & 63)
        let summaryBit: UInt64 = 1 &<< UInt64(w & 63)
        let (old, new) = (wordBase &+ from &* stride &+ w, wordBase &+ to &* stride &+ w)
        let (oldSummary, newSummary) = (
            summaryBase &+ from &* summaryStride &+ w &>> 6, summaryBase &+ to &* summaryStride &+ w &>> 6
        )
        precondition(storage[old] & bit != 0 && storage[new] & bit == 0)
        return storage.withUnsafeMutableBufferPointer { b in
            b[old] &= ~bit
            if b[old] == 0 { b[oldSummary] &= ~summaryBit }
            b[new] |= bit
            b[newSummary] |= summaryBit
            // `from` holds `i`, so its count is at least 1.
            b[from] &-= 1
            b[to] &+= 1
            return (b[from] == 0, b[to] == 1)
        }
    }

    /// The lowest member of set `s`.
    func first(_ s: Int) -> Int? { next(s, from: 0) }

    /// The lowest member of set `s` that is ≥ `start` and in `mask` (a bit per ordinal, as the sets hold them;
    /// a filtered request's nodes, `NodeFilter`). Reads the words one by one from `start`. (Kept out of line:
    /// placement calls it only for filtered requests, beside the `next` every request uses.)
    @inline(never)
    func next(_ s: Int, from start: Int, in mask: [UInt64]) -> Int? {
        let base = wordBase + s * stride
        var w = start >> 6
        guard w < stride, w < mask.count else { return nil }
        var bits = storage[base + w] & mask[w] & (~0 << UInt64(start & 63))
        while bits == 0 {
            w += 1
            guard w < stride, w < mask.count else { return nil }
            bits = storage[base + w] & mask[w]
        }
        return w << 6 | bits.trailingZeroBitCount
    }

    /// Members of set `s` that are in `mask`.
    func count(_ s: Int, in mask: [UInt64]) -> Int {
        let base = wordBase + s * stride
        var n = 0
        for w in 0..<min(stride, mask.count) { n += (storage[base + w] & mask[w]).nonzeroBitCount }
        return n
    }

    /// The lowest member of set `s` that is ≥ `start`.
    func next(_ s: Int, from start: Int) -> Int? {
        assert(s >= 0 && s < setCount && start >= 0, "set \(s) or start \(start) out of range")
        let base = wordBase &+ s &* stride
        let summaryAt = summaryBase &+ s &* summaryStride
        var w = start &>> 6
        guard w < stride else { return nil }
        return storage.withUnsafeBufferPointer { b in
            let masked = b[base &+ w] & (~0 &<< UInt64(start & 63))
            if masked != 0 { return w &<< 6 | masked.trailingZeroBitCount }
            w &+= 1
            var k = w &>> 6
            guard k < summaryStride else { return nil }
            var sbits = b[summaryAt &+ k] & (w & 63 == 0 ? ~0 : (~0 &<< UInt64(w & 63)))
            while true {
                if sbits != 0 {
                    let word = k &<< 6 | sbits.trailingZeroBitCount
                    return word &<< 6 | b[base &+ word].trailingZeroBitCount
                }
                k &+= 1
                guard k < summaryStride else { return nil }
                sbits = b[summaryAt &+ k]
            }
        }
    }
}

/// One set of `NodeBitsets`.
struct NodeBitset: Hashable, Sendable {
    private var sets: NodeBitsets

    init(capacity: Int) { sets = NodeBitsets(sets: 1, capacity: capacity) }

    var count: Int { sets.count(0) }
    func contains(_ i: Int) -> Bool { sets.contains(0, i) }
    mutating func insert(_ i: Int) { sets.insert(0, i) }
    mutating func remove(_ i: Int) { sets.remove(0, i) }
    func first() -> Int? { sets.first(0) }
    func next(from start: Int) -> Int? { sets.next(0, from: start) }
    func next(from start: Int, in mask: [UInt64]) -> Int? { sets.next(0, from: start, in: mask) }
    func count(in mask: [UInt64]) -> Int { sets.count(0, in: mask) }
}
