import Testing

@testable import Scheduler

/// The queue book's table of running jobs must hold exactly what a dictionary would through any run of
/// inserts, updates and removals, including probe runs that wrap around the table and removals that shift
/// entries back.
@Suite struct JobTableTests {
    @Test func itHoldsWhatADictionaryWould() {
        var checkedLookups = 0
        for seed in 1...20 {
            var rng = SeededRandom(seed: UInt64(seed))
            var table = JobTable<Int>()
            var reference: [Int64: Int] = [:]
            // Few distinct ids (many collide in a small table) or a wide range, and a sequential run like the
            // simulator's.
            let range: UInt64 = [40, 5000, 1 << 40][seed % 3]
            for step in 0..<4000 {
                let id = seed % 5 == 0 ? Int64(step / 2) : Int64(rng.next() % range) - Int64(range / 2)
                switch rng.next() % 4 {
                case 0, 1:
                    table[id] = step
                    reference[id] = step
                case 2:
                    #expect(table.removeValue(forKey: id) == reference.removeValue(forKey: id))
                default:
                    table[id] = nil
                    reference[id] = nil
                }
                #expect(table.count == reference.count)
                if step % 97 == 0 {
                    for probe in reference.keys {
                        #expect(table[probe] == reference[probe])
                        checkedLookups += 1
                    }
                    var walked: [Int64: Int] = [:]
                    for (k, v) in table { walked[k] = v }
                    #expect(walked == reference)
                    // The walk by slab position, reading values in place, finds the same, and each value is
                    // found again at its position.
                    var byPosition: [Int64: Int] = [:]
                    var positions: [(Int, Int)] = []
                    table.forEachInPlace { id, at, v in
                        byPosition[id] = v.pointee
                        positions.append((at, v.pointee))
                    }
                    #expect(byPosition == reference)
                    for (at, v) in positions { #expect(table.withValue(position: at) { $0.pointee } == v) }
                }
                #expect(table[id] == reference[id])
            }
            // Emptied, it finds nothing.
            for id in Array(reference.keys) { table[id] = nil }
            #expect(table.isEmpty)
            var walk = table.makeIterator()
            #expect(walk.next() == nil)
        }
        #expect(checkedLookups > 10_000)
    }
}
