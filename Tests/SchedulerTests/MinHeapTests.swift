import Testing

@testable import Scheduler

/// The engine's priority queue, ordered (a 4-ary heap) or left unordered and scanned at each pop (a pass's few
/// bucket heads): either way, elements come out least first.
@Suite struct MinHeapTests {
    /// Distinct values in a scrambled order (a multiplicative walk modulo a prime).
    func scrambled(_ n: Int) -> [Int] { (0..<n).map { ($0 + 1) * 7919 % 10_007 } }

    @Test func popsComeOutLeastFirstOrderedOrScanned() {
        for n in [0, 1, 2, 5, 16, 17, 40] {
            let values = scrambled(n)
            for limit in [0, 16, 100] {
                var heap = MinHeap<Int>()
                for v in values { heap.appendUnordered(v) }
                heap.order(scanningUpTo: limit)
                var out: [Int] = []
                while let v = heap.pop() { out.append(v) }
                #expect(out == values.sorted(), "n \(n), limit \(limit)")
            }
        }
    }

    @Test func pushesBetweenPopsKeepTheOrderAndOrderTheHeapPastTheLimit() {
        // Start with 6 unordered (scanned), then push 20 more between pops: past 8 the heap orders itself, and
        // every pop still gives the least of what is in it.
        var heap = MinHeap<Int>()
        var model: [Int] = []
        for v in scrambled(6) {
            heap.appendUnordered(v)
            model.append(v)
        }
        heap.order(scanningUpTo: 8)
        for (k, v) in scrambled(26).suffix(20).enumerated() {
            heap.push(v + 20_000)
            model.append(v + 20_000)
            if k % 3 == 0 {
                let least = model.min()!
                model.remove(at: model.firstIndex(of: least)!)
                #expect(heap.pop() == least)
            }
        }
        #expect(heap.first == model.min())
        var out: [Int] = []
        while let v = heap.pop() { out.append(v) }
        #expect(out == model.sorted())
        // Emptied, it starts ordered again.
        heap.removeAll()
        heap.push(3)
        heap.push(1)
        #expect(heap.first == 1)
    }
}
