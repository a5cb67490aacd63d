/// A 4-ary min-heap, for the merge of the buckets' heads in a pass over the `WaitQueue` (`BucketHead`) and,
/// through `EventHeap`, the running jobs' ends in the start estimate. (The simulator's job ends wait in
/// `EndQueue`, a radix heap.) Four children per node halve the depth of a binary heap, so each pop walks
/// down half as many levels. Elements move through a hole, not by swaps.
///
/// Elements that compare equal come out in no promised order; every user orders by a unique key.
///
/// Index arithmetic wraps (`&+`, `&*`): every index is below the count, so none can overflow, and a sift
/// spends no instructions on overflow checks.
struct MinHeap<Element: Comparable> {
    private(set) var items: [Element] = []
    /// The elements are left unordered, and a pop scans them (`order(scanningUpTo:)`): at most `scanLimit`.
    private var scanning = false
    private var scanLimit = 0

    /// (An empty heap asks for no storage: even reserving none is a call, and a pass starts from an empty one.)
    init(capacity: Int = 0) { if capacity > 0 { items.reserveCapacity(capacity) } }

    var isEmpty: Bool { items.isEmpty }

    /// Empties the heap, keeping its storage.
    mutating func removeAll() {
        items.clearKeepingCapacity()
        scanning = false
    }
    /// The least element (ordered: no scan is pending).
    var first: Element? {
        assert(!scanning, "first read of a heap left unordered")
        return items.first
    }

    mutating func push(_ e: Element) {
        if scanning {
            items.append(e)
            if items.count > scanLimit { heapify() }
            return
        }
        items.append(e)
        items.withUnsafeMutableBufferPointer { h in
            var c = h.count &- 1
            while c > 0 {
                let p = (c &- 1) / 4
                guard e < h[p] else { break }
                h[c] = h[p]
                c = p
            }
            h[c] = e
        }
    }

    @discardableResult
    mutating func pop() -> Element? {
        if scanning { return popByScan() }
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

    /// Orders what `appendUnordered` added, when they are more than `limit`; otherwise leaves them unordered,
    /// and each pop scans them for the least (until pushes take them past `limit`). A pass over the wait queue
    /// pops two or three of some eight bucket heads: scanning them each time costs less than ordering them.
    mutating func order(scanningUpTo limit: Int) {
        if items.count > limit {
            heapify()
        } else {
            scanning = true
            scanLimit = limit
        }
    }

    /// The least element, found by a scan, and its place filled by the last.
    private mutating func popByScan() -> Element? {
        guard !items.isEmpty else { return nil }
        let top = items.withUnsafeMutableBufferPointer { h in
            var m = 0
            var i = 1
            while i < h.count {
                if h[i] < h[m] { m = i }
                i &+= 1
            }
            let top = h[m]
            h[m] = h[h.count &- 1]
            return top
        }
        items.removeLast()
        return top
    }

    /// Orders what `appendUnordered` added, in linear time.
    mutating func heapify() {
        scanning = false
        guard items.count > 1 else { return }
        for i in stride(from: (items.count - 2) / 4, through: 0, by: -1) { siftDown(i) }
    }

    /// Moves the element at `start` down while its smallest child is smaller.
    private mutating func siftDown(_ start: Int) {
        items.withUnsafeMutableBufferPointer { h in
            let n = h.count
            let e = h[start]
            var i = start
            while true {
                let first = 4 &* i &+ 1
                guard first < n else { break }
                var m = first
                var c = first &+ 1
                let end = min(first &+ 4, n)
                while c < end {
                    if h[c] < h[m] { m = c }
                    c &+= 1
                }
                guard h[m] < e else { break }
                h[i] = h[m]
                i = m
            }
            h[i] = e
        }
    }
}
extension MinHeap: Sendable where Element: Sendable {}
