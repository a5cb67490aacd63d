/// A binary min-heap: the engine's one priority queue (job ends in the simulator and the start estimate, the
/// buckets' heads in a pass over the `WaitQueue`).
struct BinaryHeap<Element: Comparable> {
    private(set) var items: [Element] = []

    init(capacity: Int = 0) { items.reserveCapacity(capacity) }

    var isEmpty: Bool { items.isEmpty }

    /// Empties the heap, keeping its storage.
    mutating func removeAll() { items.clearKeepingCapacity() }
    var first: Element? { items.first }

    mutating func push(_ e: Element) {
        items.append(e)
        var c = items.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            guard items[c] < items[p] else { break }
            items.swapAt(c, p)
            c = p
        }
    }

    mutating func pop() -> Element? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            siftDown(0)
        }
        return top
    }

    /// Adds `e` without ordering: call `heapify()` before the next `push` or `pop`.
    mutating func appendUnordered(_ e: Element) { items.append(e) }

    /// Orders what `appendUnordered` added, in linear time.
    mutating func heapify() {
        guard items.count > 1 else { return }
        for i in stride(from: items.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && items[l] < items[m] { m = l }
            if r < items.count && items[r] < items[m] { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
    }
}
extension BinaryHeap: Sendable where Element: Sendable {}
