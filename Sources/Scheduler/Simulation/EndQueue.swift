/// The simulator's running jobs' ends, earliest first: a radix heap. Simulated time never goes back, so every
/// end is pushed at or after the time of the last end taken; an end waits in the bucket of the highest bit in
/// which its time differs from that time, and only the lowest non-empty bucket is ever sorted out, into lower
/// ones, when its earliest end is taken. A push appends to a bucket, and an end moves at most 64 times in all,
/// where a heap of the some 20,000 ends a 100,000-GPU replay keeps walks several levels down it on every pop.
///
/// Ends at the same time come out in no promised order (last in, first out): the simulator takes every end at
/// a time before it decides anything.
struct EndQueue {
    struct End {
        var time: Int64
        /// What ends (the simulator's job index and run generation).
        var key: Int
    }

    /// Bucket 0 holds ends at `last`; bucket b > 0 ends whose time's highest bit differing from `last` is b − 1.
    private var buckets: [[End]] = Array(repeating: [], count: 65)
    /// Bit b − 1 set: bucket b > 0 holds ends (so the lowest such bucket is found without a walk).
    private var occupied: UInt64 = 0
    /// The time of the last end taken.
    private var last = Int64.min
    private(set) var count = 0
    /// The earliest time waiting, once `first()` has looked for it while bucket 0 was empty.
    private var earliest: Int64?

    var isEmpty: Bool { count == 0 }

    @inline(__always) private func bucket(_ time: Int64) -> Int {
        64 - (UInt64(bitPattern: time) ^ UInt64(bitPattern: last)).leadingZeroBitCount
    }

    mutating func push(_ e: End) {
        precondition(e.time >= last, "an end at \(e.time), before \(last): simulated time went back")
        let b = bucket(e.time)
        buckets[b].append(e)
        if b > 0 { occupied |= 1 << UInt64(b - 1) }
        count += 1
        if let t = earliest, e.time < t { earliest = e.time }
    }

    /// The earliest time waiting, if any.
    mutating func firstTime() -> Int64? {
        guard count > 0 else { return nil }
        if !buckets[0].isEmpty { return last }
        if let t = earliest { return t }
        let i = occupied.trailingZeroBitCount + 1
        var t = Int64.max
        for e in buckets[i] where e.time < t { t = e.time }
        earliest = t
        return t
    }

    /// Takes an end at the earliest time waiting (which becomes the time of the last end taken).
    @discardableResult
    mutating func pop() -> End? {
        guard let t = firstTime() else { return nil }
        if buckets[0].isEmpty {
            let i = occupied.trailingZeroBitCount + 1
            occupied &= ~(1 << UInt64(i - 1))
            last = t
            earliest = nil
            // Every end of bucket i differs from `last` in a lower bit than i − 1: each goes to a lower bucket.
            // (Through the buckets' buffer: each append through the array checked two arrays' uniqueness.)
            let lastBits = UInt64(bitPattern: t)
            var entered: UInt64 = 0
            buckets.withUnsafeMutableBufferPointer { buckets in
                var items: [End] = []
                swap(&items, &buckets[i])
                for e in items {
                    let b = 64 - (UInt64(bitPattern: e.time) ^ lastBits).leadingZeroBitCount
                    buckets[b].append(e)
                    if b > 0 { entered |= 1 << UInt64(b - 1) }
                }
                // (A few are popped, which costs less than a general removal; many are removed at once.)
                if items.count <= 8 { items.clearKeepingCapacity() } else { items.removeAll(keepingCapacity: true) }
                swap(&items, &buckets[i])
            }
            occupied |= entered
        }
        count -= 1
        return buckets[0].removeLast()
    }
}
