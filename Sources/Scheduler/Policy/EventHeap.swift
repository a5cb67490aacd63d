/// Allocations ending at a time (ties in insertion order), with the index of whatever they belong to: the
/// simulator's job ends and the start estimate's.
struct EventHeap {
    struct Entry: Comparable {
        var time: Int64
        var seq: Int
        var index: Int
        var allocation: Allocation

        static func < (a: Entry, b: Entry) -> Bool { (a.time, a.seq) < (b.time, b.seq) }
        static func == (a: Entry, b: Entry) -> Bool { (a.time, a.seq) == (b.time, b.seq) }
    }

    private var heap = BinaryHeap<Entry>()
    private var seq = 0

    var isEmpty: Bool { heap.isEmpty }
    var peekTime: Int64? { heap.first?.time }

    mutating func push(_ time: Int64, _ index: Int, _ allocation: Allocation) {
        heap.push(Entry(time: time, seq: seq, index: index, allocation: allocation))
        seq += 1
    }

    mutating func popIfAt(_ t: Int64) -> (Int, Allocation)? {
        guard let top = heap.first, top.time <= t, let e = heap.pop() else { return nil }
        return (e.index, e.allocation)
    }
}
