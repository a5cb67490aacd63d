/// A set of CPU core ids (0..<512) held inline, so copying cluster state never allocates.
///
/// 512 covers today's largest two-socket servers (2 × 192 cores); a node type with more cores is
/// refused when cluster.yaml is read.
public struct CPUSet: Hashable, Sendable {
    /// The largest core id plus one that a set can hold.
    public static let capacity = 512
    private var w: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    public init() {}
    public init<S: Sequence>(_ ids: S) where S.Element == Int {
        for id in ids { insert(id) }
    }

    @inline(__always) private func word(_ i: Int) -> UInt64 {
        switch i {
        case 0: w.0
        case 1: w.1
        case 2: w.2
        case 3: w.3
        case 4: w.4
        case 5: w.5
        case 6: w.6
        default: w.7
        }
    }

    @inline(__always) private mutating func setWord(_ i: Int, _ v: UInt64) {
        switch i {
        case 0: w.0 = v
        case 1: w.1 = v
        case 2: w.2 = v
        case 3: w.3 = v
        case 4: w.4 = v
        case 5: w.5 = v
        case 6: w.6 = v
        default: w.7 = v
        }
    }

    public func contains(_ id: Int) -> Bool { word(id >> 6) & (1 << UInt64(id & 63)) != 0 }
    public mutating func insert(_ id: Int) {
        precondition(id >= 0 && id < Self.capacity, "core id \(id) out of range")
        setWord(id >> 6, word(id >> 6) | (1 << UInt64(id & 63)))
    }
    public mutating func remove(_ id: Int) { setWord(id >> 6, word(id >> 6) & ~(1 << UInt64(id & 63))) }

    // The set algebra is written word by word on the tuple: commits, releases and a backfill plan's checks
    // run it on every placement.
    public var count: Int {
        w.0.nonzeroBitCount + w.1.nonzeroBitCount + w.2.nonzeroBitCount + w.3.nonzeroBitCount
            + w.4.nonzeroBitCount + w.5.nonzeroBitCount + w.6.nonzeroBitCount + w.7.nonzeroBitCount
    }
    public var isEmpty: Bool { (w.0 | w.1 | w.2 | w.3 | w.4 | w.5 | w.6 | w.7) == 0 }

    private init(_ w: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)) { self.w = w }

    public func union(_ o: CPUSet) -> CPUSet {
        CPUSet(
            (w.0 | o.w.0, w.1 | o.w.1, w.2 | o.w.2, w.3 | o.w.3, w.4 | o.w.4, w.5 | o.w.5, w.6 | o.w.6, w.7 | o.w.7))
    }
    public func intersection(_ o: CPUSet) -> CPUSet {
        CPUSet(
            (w.0 & o.w.0, w.1 & o.w.1, w.2 & o.w.2, w.3 & o.w.3, w.4 & o.w.4, w.5 & o.w.5, w.6 & o.w.6, w.7 & o.w.7))
    }
    public func subtracting(_ o: CPUSet) -> CPUSet {
        CPUSet(
            (
                w.0 & ~o.w.0, w.1 & ~o.w.1, w.2 & ~o.w.2, w.3 & ~o.w.3, w.4 & ~o.w.4, w.5 & ~o.w.5, w.6 & ~o.w.6,
                w.7 & ~o.w.7
            ))
    }
    public func isSubset(of o: CPUSet) -> Bool { subtracting(o).isEmpty }
    public func isDisjoint(with o: CPUSet) -> Bool { intersection(o).isEmpty }

    /// The `n` lowest ids in the set, or nil when it has fewer.
    public func lowest(_ n: Int) -> CPUSet? {
        var r = CPUSet()
        var need = n
        for i in 0..<8 where need > 0 {
            let bits = word(i)
            let count = bits.nonzeroBitCount
            if count > need {
                r.setWord(i, Self.lowestBits(bits, need))
                return r
            }
            need &-= count  // (count ≤ need here)
            r.setWord(i, bits)
        }
        return need == 0 ? r : nil
    }

    /// The `k` lowest set bits of `bits` (0 < k < its count): the shortest prefix of bits 0..<p holding k of
    /// them, found by halving on p (six bit counts, where taking bit by bit takes up to 32 steps).
    @inline(__always) static func lowestBits(_ bits: UInt64, _ k: Int) -> UInt64 {
        // Bits below `lo` hold fewer than k set bits; bits below `hi` hold at least k.
        var lo = 0
        var hi = 64
        // (Wrapping arithmetic: 0 ≤ lo < mid < hi ≤ 64.)
        while hi &- lo > 1 {
            let mid = (lo &+ hi) &>> 1
            if (bits & ((1 &<< UInt64(mid)) &- 1)).nonzeroBitCount >= k { hi = mid } else { lo = mid }
        }
        return hi == 64 ? bits : bits & ((1 &<< UInt64(hi)) &- 1)
    }

    /// The ids in ascending order.
    public var sorted: [Int] {
        var out: [Int] = []
        out.reserveCapacity(count)
        for i in 0..<8 {
            var bits = word(i)
            while bits != 0 {
                out.append(i * 64 + bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
        return out
    }

    public static func == (a: CPUSet, b: CPUSet) -> Bool {
        ((a.w.0 ^ b.w.0) | (a.w.1 ^ b.w.1) | (a.w.2 ^ b.w.2) | (a.w.3 ^ b.w.3) | (a.w.4 ^ b.w.4) | (a.w.5 ^ b.w.5)
            | (a.w.6 ^ b.w.6) | (a.w.7 ^ b.w.7)) == 0
    }
    public func hash(into h: inout Hasher) {
        for i in 0..<8 { h.combine(word(i)) }
    }
}

/// A set of GPU indices on one node (0..<64) as a bit mask.
public struct GPUSet: Hashable, Sendable, Sequence {
    /// The bit mask: bit i set means GPU i is in the set.
    public var mask: UInt64
    public init(mask: UInt64 = 0) { self.mask = mask }
    public init<S: Sequence>(_ ids: S) where S.Element == Int {
        mask = 0
        for i in ids { mask |= 1 << UInt64(i) }
    }
    public var count: Int { mask.nonzeroBitCount }
    public var isEmpty: Bool { mask == 0 }
    public func contains(_ i: Int) -> Bool { mask & (1 << UInt64(i)) != 0 }
    public func makeIterator() -> AnyIterator<Int> {
        var bits = mask
        return AnyIterator {
            guard bits != 0 else { return nil }
            let i = bits.trailingZeroBitCount
            bits &= bits - 1
            return i
        }
    }
    /// The `n` lowest indices in the set, or nil when it has fewer.
    public func lowest(_ n: Int) -> GPUSet? {
        var bits = mask
        var r: UInt64 = 0
        var left = n
        while left > 0 {
            guard bits != 0 else { return nil }
            r |= bits & (~bits &+ 1)
            bits &= bits &- 1
            left &-= 1
        }
        return GPUSet(mask: r)
    }
    public var sorted: [Int] { Array(self) }
}
