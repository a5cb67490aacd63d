/// A fixed number of sets of small integers (pool-local node ordinals), all of one capacity, each with a
/// summary level, so a set's lowest member and the next member after one are found in a few word
/// operations, whatever the capacity.
///
/// The sets share three flat arrays (their words, their summaries, their sizes) rather than two arrays
/// each: copying a cluster (a backfill plan's shadow) then costs three references per family, not two per
/// set (a DGX pool has 25 signature sets).
struct NodeBitsets: Hashable, Sendable {
    private var words: [UInt64]
    private var summary: [UInt64]
    private var counts: [Int]
    /// Words, and summary words, per set.
    private let stride: Int
    private let summaryStride: Int

    init(sets: Int, capacity: Int) {
        stride = max(1, (capacity + 63) / 64)
        summaryStride = (stride + 63) / 64
        words = Array(repeating: 0, count: stride * sets)
        summary = Array(repeating: 0, count: summaryStride * sets)
        counts = Array(repeating: 0, count: sets)
    }

    /// How many sets there are.
    var setCount: Int { counts.count }

    /// Members of set `s`.
    func count(_ s: Int) -> Int { counts[s] }

    func contains(_ s: Int, _ i: Int) -> Bool { words[s * stride + i >> 6] & (1 << UInt64(i & 63)) != 0 }

    mutating func insert(_ s: Int, _ i: Int) {
        let w = i >> 6
        let bit: UInt64 = 1 << UInt64(i & 63)
        guard words[s * stride + w] & bit == 0 else { return }
        words[s * stride + w] |= bit
        summary[s * summaryStride + w >> 6] |= 1 << UInt64(w & 63)
        counts[s] += 1
    }

    mutating func remove(_ s: Int, _ i: Int) {
        let w = i >> 6
        let bit: UInt64 = 1 << UInt64(i & 63)
        guard words[s * stride + w] & bit != 0 else { return }
        words[s * stride + w] &= ~bit
        if words[s * stride + w] == 0 { summary[s * summaryStride + w >> 6] &= ~(1 << UInt64(w & 63)) }
        counts[s] -= 1
    }

    /// Moves `i` from set `from`, which holds it, to set `to`, which does not.
    mutating func move(_ i: Int, from: Int, to: Int) {
        let w = i >> 6
        let bit: UInt64 = 1 << UInt64(i & 63)
        let summaryBit: UInt64 = 1 << UInt64(w & 63)
        precondition(words[from * stride + w] & bit != 0 && words[to * stride + w] & bit == 0)
        words[from * stride + w] &= ~bit
        if words[from * stride + w] == 0 { summary[from * summaryStride + w >> 6] &= ~summaryBit }
        words[to * stride + w] |= bit
        summary[to * summaryStride + w >> 6] |= summaryBit
        counts[from] -= 1
        counts[to] += 1
    }

    /// The lowest member of set `s`.
    func first(_ s: Int) -> Int? { next(s, from: 0) }

    /// The lowest member of set `s` that is ≥ `start`.
    func next(_ s: Int, from start: Int) -> Int? {
        let base = s * stride
        let summaryBase = s * summaryStride
        var w = start >> 6
        guard w < stride else { return nil }
        let masked = words[base + w] & (~0 << UInt64(start & 63))
        if masked != 0 { return w << 6 | masked.trailingZeroBitCount }
        w += 1
        var k = w >> 6
        guard k < summaryStride else { return nil }
        var sbits = summary[summaryBase + k] & (w & 63 == 0 ? ~0 : (~0 << UInt64(w & 63)))
        while true {
            if sbits != 0 {
                let word = k << 6 | sbits.trailingZeroBitCount
                return word << 6 | words[base + word].trailingZeroBitCount
            }
            k += 1
            guard k < summaryStride else { return nil }
            sbits = summary[summaryBase + k]
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
}
