import Testing

@testable import Scheduler

/// The simulator's queue of ends gives back every end pushed, earliest time first, while ends keep being pushed
/// at or after the time last taken (as simulated time moves on), including times far apart and negative ones.
@Suite struct EndQueueTests {
    @Test func endsComeOutEarliestFirst() {
        var taken = 0
        for seed in 1...30 {
            var rng = SeededRandom(seed: UInt64(seed))
            var queue = EndQueue()
            var waiting: [Int64: Int] = [:]  // time → ends waiting at it
            var now: Int64 = seed % 3 == 0 ? -1_000_000 : 0
            var key = 0
            for _ in 0..<3000 {
                if rng.next() % 3 != 0 || queue.isEmpty {
                    // A start: its end lies a little or very far ahead.
                    let ahead = seed % 2 == 0 ? Int64(rng.next() % 50) : Int64(rng.next() % (1 << 40))
                    queue.push(EndQueue.End(time: now + ahead, key: key))
                    key += 1
                    waiting[now + ahead, default: 0] += 1
                } else {
                    let expected = waiting.keys.min()!
                    #expect(queue.firstTime() == expected)
                    let e = queue.pop()!
                    #expect(e.time == expected)
                    waiting[expected]! -= 1
                    if waiting[expected] == 0 { waiting[expected] = nil }
                    now = e.time
                    taken += 1
                }
                #expect(queue.count == waiting.values.reduce(0, +))
            }
            while let e = queue.pop() {
                let expected = waiting.keys.min()!
                #expect(e.time == expected)
                waiting[expected]! -= 1
                if waiting[expected] == 0 { waiting[expected] = nil }
            }
            #expect(waiting.isEmpty)
            #expect(queue.firstTime() == nil)
        }
        #expect(taken > 10_000)
    }
}
