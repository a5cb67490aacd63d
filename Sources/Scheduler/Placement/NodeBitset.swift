/// A set of small integers (pool-local node ordinals) with a summary level, so the lowest member and
/// the next member after one are found in a few word operations, whatever the capacity.
struct NodeBitset: Hashable, Sendable {
    private(set) var words: [UInt64]
    private var summary: [UInt64]
    private(set) var count = 0

    init(capacity: Int) {
        let n = max(1, (capacity + 63) / 64)
        words = Array(repeating: 0, count: n)
        summary = Array(repeating: 0, count: (n + 63) / 64)
    }

    func contains(_ i: Int) -> Bool { words[i >> 6] & (1 << UInt64(i & 63)) != 0 }

    mutating func insert(_ i: Int) {
        let w = i >> 6
        let bit: UInt64 = 1 << UInt64(i & 63)
        guard words[w] & bit == 0 else { return }
        words[w] |= bit
        summary[w >> 6] |= 1 << UInt64(w & 63)
        count += 1
    }

    mutating func remove(_ i: Int) {
        let w = i >> 6
        let bit: UInt64 = 1 << UInt64(i & 63)
        guard words[w] & bit != 0 else { return }
        words[w] &= ~bit
        if words[w] == 0 { summary[w >> 6] &= ~(1 << UInt64(w & 63)) }
        count -= 1
    }

    /// The lowest member.
    func first() -> Int? { next(from: 0) }

    /// The lowest member ≥ `start`.
    func next(from start: Int) -> Int? {
        var w = start >> 6
        guard w < words.count else { return nil }
        let masked = words[w] & (~0 << UInt64(start & 63))
        if masked != 0 { return w << 6 | masked.trailingZeroBitCount }
        w += 1
        var s = w >> 6
        guard s < summary.count else { return nil }
        var sbits = summary[s] & (w & 63 == 0 ? ~0 : (~0 << UInt64(w & 63)))
        while true {
            if sbits != 0 {
                let word = s << 6 | sbits.trailingZeroBitCount
                return word << 6 | words[word].trailingZeroBitCount
            }
            s += 1
            guard s < summary.count else { return nil }
            sbits = summary[s]
        }
    }
}
