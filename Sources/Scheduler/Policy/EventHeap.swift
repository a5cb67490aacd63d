/// Ends at a time (ties in insertion order), each with the index of whatever it belongs to and the allocation
/// that ends: the running jobs' ends in the start estimate (`StartEstimate`).
///
/// The heap orders plain numbers; allocations wait in slots beside it, so a heap move copies no
/// reference.
struct EventHeap {
    struct Entry: Comparable {
        var time: Int64
        var seq: Int
        var index: Int
        var slot: Int

        static func < (a: Entry, b: Entry) -> Bool { (a.time, a.seq) < (b.time, b.seq) }
        static func == (a: Entry, b: Entry) -> Bool { (a.time, a.seq) == (b.time, b.seq) }
    }

    private var heap = MinHeap<Entry>()
    private var seq = 0
    private var slots: [Allocation?] = []
    private var freeSlots: [Int] = []

    var isEmpty: Bool { heap.isEmpty }
    var peekTime: Int64? { heap.first?.time }

    mutating func push(_ time: Int64, _ index: Int, _ allocation: Allocation) {
        let slot: Int
        if let s = freeSlots.popLast() {
            slot = s
            slots[s] = allocation
        } else {
            slot = slots.count
            slots.append(allocation)
        }
        heap.push(Entry(time: time, seq: seq, index: index, slot: slot))
        seq += 1
    }

    mutating func popIfAt(_ t: Int64) -> (Int, Allocation)? {
        guard let top = heap.first, top.time <= t, let e = heap.pop() else { return nil }
        let allocation = slots[e.slot].take()!
        freeSlots.append(e.slot)
        return (e.index, allocation)
    }
}
