import Testing

@testable import Scheduler

/// An allocation's memory per NUMA domain reads and writes like an array, held inline up to four domains and
/// in an array beyond.
@Suite struct DomainMemoryTests {
    @Test(arguments: [0, 1, 2, 4, 5, 8])
    func itBehavesAsAnArray(domains: Int) {
        var rng = SeededRandom(seed: UInt64(domains + 1))
        var memory = DomainMemory(zeroes: domains)
        var reference = Array(repeating: ByteSize.zero, count: domains)
        #expect(Array(memory) == reference)
        for _ in 0..<200 where domains > 0 {
            let d = Int(rng.next() % UInt64(domains))
            let m = ByteSize.gibibytes(rng.next() % 2048)
            memory[d] = m
            reference[d] = m
            #expect(memory[d] == m)
        }
        #expect(memory.count == domains)
        #expect(Array(memory) == reference)
        #expect(DomainMemory(reference) == memory)
        #expect(DomainMemory(reference).hashValue == memory.hashValue)
        if domains > 0 {
            var other = memory
            other[domains - 1] = other[domains - 1] + .gibibytes(1)
            #expect(other != memory)
            #expect(Array(memory) == reference)  // the copy changed, not the original
        }
        // Equal contents, different counts: not equal.
        #expect(DomainMemory(reference + [.zero]) != memory)
    }
}
