/// A binary min-heap of allocations ending at a time (ties in insertion order), with the index of whatever
/// they belong to: the simulator's job ends and the start estimate's.
struct EventHeap {
    private var heap: [(time: Int64, seq: Int, index: Int, allocation: Allocation)] = []
    private var seq = 0

    var isEmpty: Bool { heap.isEmpty }
    var peekTime: Int64? { heap.first?.time }

    mutating func push(_ time: Int64, _ index: Int, _ allocation: Allocation) {
        heap.append((time, seq, index, allocation))
        seq += 1
        var i = heap.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard less(i, p) else { break }
            heap.swapAt(i, p)
            i = p
        }
    }

    mutating func popIfAt(_ t: Int64) -> (Int, Allocation)? {
        guard let top = heap.first, top.time <= t else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && less(l, m) { m = l }
                if r < heap.count && less(r, m) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return (top.index, top.allocation)
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        heap[a].time != heap[b].time ? heap[a].time < heap[b].time : heap[a].seq < heap[b].seq
    }
}
