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
        // The new element moves up through a hole (each parent moves down once), not by swaps.
        items.withUnsafeMutableBufferPointer { h in
            var c = h.count - 1
            while c > 0 {
                let p = (c - 1) / 2
                guard e < h[p] else { break }
                h[c] = h[p]
                c = p
            }
            h[c] = e
        }
    }

    @discardableResult
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

    /// Moves the element at `start` down to its place (the same moves as swapping it with its smaller child
    /// while that child is smaller; through a hole).
    private mutating func siftDown(_ start: Int) {
        items.withUnsafeMutableBufferPointer { h in
            let n = h.count
            let e = h[start]
            var i = start
            while true {
                let l = 2 * i + 1
                guard l < n else { break }
                let m = l + 1 < n && h[l + 1] < h[l] ? l + 1 : l
                guard h[m] < e else { break }
                h[i] = h[m]
                i = m
            }
            h[i] = e
        }
    }
}
extension BinaryHeap: Sendable where Element: Sendable {}
