import Testing

@testable import Scheduler

@Suite struct SizeAndTimeTests {
    @Test(arguments: [
        ("141GB", UInt64(141_000_000_000)), ("2TB", 2_000_000_000_000), ("1TiB", 1 << 40), ("200G", 200 << 30),
        ("1.5 TiB", 3 << 39), ("512", 512), ("30tb", 30_000_000_000_000), ("64MiB", 64 << 20),
    ])
    func parsesSizes(text: String, bytes: UInt64) {
        #expect(ByteSize(parsing: text)?.bytes == bytes)
    }

    @Test(arguments: ["", "-5GB", "GB", "12XB", "1.2.3GB", "abc"])
    func refusesBadSizes(text: String) {
        #expect(ByteSize(parsing: text) == nil)
    }

    @Test func printsSizesInTheUnitsTheyWereDeclaredIn() {
        #expect(ByteSize(parsing: "141GB")!.description == "141 GB")
        #expect(ByteSize(parsing: "1TiB")!.description == "1 TiB")
        #expect(ByteSize(parsing: "240GiB")!.description == "240 GiB")
        #expect(ByteSize(parsing: "120TB")!.description == "120 TB")
        #expect(ByteSize(bytes: 1_234_567_890_123).description == "1.2 TB")
    }

    @Test(arguments: [
        ("30", Int64(1800)), ("4h", 14_400), ("7d", 604_800), ("1d12h", 129_600), ("2-00:00:00", 172_800),
        ("01:30:00", 5400), ("10:30", 630), ("90s", 90), ("1-12", 129_600),
    ])
    func parsesTimes(text: String, seconds: Int64) {
        #expect(TimeSpan(parsing: text)?.seconds == seconds)
    }

    @Test(arguments: ["", "-1h", "4x", "h", "1:2:3:4"])
    func refusesBadTimes(text: String) {
        #expect(TimeSpan(parsing: text) == nil)
    }

    /// Text from a request or a flag: a span that would overflow, or is longer than 100 years, is refused
    /// rather than trapping (SIGILL) in the parser or later in start-time arithmetic.
    @Test(arguments: [
        "9223372036854775807", "999999999999999d", "9223372036854775807s", "153722867280912930m",
        "106751991167300-00:00:00", "1-2562047788015215:00:00", "5000000000w", "36501d", "3153600001s",
        "99999999999d",
    ])
    func refusesSpansThatOverflowOrPassACentury(text: String) {
        #expect(TimeSpan(parsing: text) == nil)
    }

    @Test func aCenturyIsTheLongestSpanText() {
        #expect(TimeSpan(parsing: "36500d")?.seconds == TimeSpan.longestParsed)
        #expect(TimeSpan(parsing: "\(TimeSpan.longestParsed)s")?.seconds == TimeSpan.longestParsed)
    }

    @Test func expandsHostAndNumberLists() {
        #expect(RangeList.expandHosts("dgx[01-03,07]") == ["dgx01", "dgx02", "dgx03", "dgx07"])
        #expect(RangeList.expandHosts("a,b[1-2]") == ["a", "b1", "b2"])
        #expect(RangeList.expandHosts("dgx[03-01]") == nil)
        #expect(RangeList.expandIntegers("0-3,8") == [0, 1, 2, 3, 8])
        #expect(RangeList.expandIntegers("3-1") == nil)
    }

    @Test func cpuSetsTakeTheLowestIdsAndCountExactly() {
        var s = CPUSet([3, 70, 200, 5, 511])
        #expect(s.count == 5)
        #expect(s.lowest(3)?.sorted == [3, 5, 70])
        #expect(s.lowest(6) == nil)
        // Across a full word and into the next, taking few or most of that one's ids.
        let dense = CPUSet(0..<100)
        #expect(dense.lowest(64)?.sorted == Array(0..<64))
        #expect(dense.lowest(70)?.sorted == Array(0..<70))
        #expect(dense.lowest(95)?.sorted == Array(0..<95))
        #expect(dense.lowest(100)?.sorted == Array(0..<100))
        #expect(dense.lowest(101) == nil)
        #expect(CPUSet([1, 63, 64, 65, 127, 128]).lowest(5)?.sorted == [1, 63, 64, 65, 127])
        s.remove(70)
        #expect(s.sorted == [3, 5, 200, 511])
        #expect(CPUSet([1, 2]).isSubset(of: s) == false)
        #expect(CPUSet([3, 5]).isSubset(of: s))
    }

    @Test func cpuSetAlgebraAgreesWithASetOfIds() {
        // Sets over all 512 ids (each of the eight words, the last one too), sparse and dense, against Set<Int>.
        var rng = SeededRandom(seed: 7)
        func randomIds() -> Set<Int> {
            let density = [1, 8, 64, 480][Int(rng.next() % 4)]
            return Set((0..<density).map { _ in Int(rng.next() % UInt64(CPUSet.capacity)) })
        }
        var compared = 0
        for _ in 0..<400 {
            let (a, b) = (randomIds(), randomIds())
            let (x, y) = (CPUSet(a), CPUSet(b))
            #expect(x.count == a.count)
            #expect(x.isEmpty == a.isEmpty)
            #expect(x.union(y).sorted == a.union(b).sorted())
            #expect(x.intersection(y).sorted == a.intersection(b).sorted())
            #expect(x.subtracting(y).sorted == a.subtracting(b).sorted())
            #expect(x.isSubset(of: y) == a.isSubset(of: b))
            #expect(x.isDisjoint(with: y) == a.isDisjoint(with: b))
            #expect((x == y) == (a == b))
            #expect(x.intersection(y).isSubset(of: x))
            #expect(x.subtracting(y).isDisjoint(with: y))
            // The n lowest ids, for n from none to one past all of them.
            let ascending = a.sorted()
            let all = ascending.count
            for n in [0, 1, all / 3, all / 2, all - 1, all] where n >= 0 {
                #expect(x.lowest(n)?.sorted == Array(ascending.prefix(n)), "\(n) of \(ascending.count)")
            }
            #expect(x.lowest(ascending.count + 1) == nil)
            compared += 1
        }
        // One id in the last word alone: not empty, and different from the empty set.
        #expect(!CPUSet([511]).isEmpty)
        #expect(CPUSet([511]) != CPUSet())
        #expect(CPUSet().isEmpty)
        #expect(CPUSet().isSubset(of: CPUSet([0])))
        #expect(compared == 400)
    }

    @Test func nodeBitsetFindsMembersInOrderAcrossWords() {
        var b = NodeBitset(capacity: 10_000)
        for i in [9_999, 5, 64, 4_096, 63] { b.insert(i) }
        var seen: [Int] = []
        var i = b.first()
        while let v = i {
            seen.append(v)
            i = b.next(from: v + 1)
        }
        #expect(seen == [5, 63, 64, 4_096, 9_999])
        b.remove(5)
        b.remove(63)
        b.remove(64)
        #expect(b.first() == 4_096)
        #expect(b.count == 2)
    }

    @Test func nodeBitsetsKeepTheirSetsApart() {
        // 25 sets of 130 members share one array: a change to one set must leave the others as they were.
        var sets = NodeBitsets(sets: 25, capacity: 130)
        sets.insert(0, 129)
        sets.insert(24, 0)
        sets.insert(12, 64)
        sets.insert(12, 65)
        sets.insert(12, 65)
        #expect(sets.count(0) == 1)
        #expect(sets.count(12) == 2)
        #expect(sets.count(24) == 1)
        #expect(sets.first(0) == 129)
        #expect(sets.first(1) == nil)
        #expect(sets.first(24) == 0)
        #expect(sets.next(12, from: 65) == 65)
        #expect(sets.next(12, from: 66) == nil)
        #expect(!sets.contains(11, 64))
        #expect(!sets.contains(13, 64))
        sets.remove(12, 64)
        sets.remove(12, 64)
        #expect(sets.count(12) == 1)
        #expect(sets.first(12) == 65)
        #expect(sets.first(0) == 129)
        let copy = sets
        sets.remove(0, 129)
        #expect(sets.first(0) == nil)
        #expect(copy.first(0) == 129)
        // A move takes a member from one set to another: sizes, members and lookups across words follow.
        sets.move(65, from: 12, to: 3)
        #expect(sets.count(12) == 0)
        #expect(sets.first(12) == nil)
        #expect(sets.next(12, from: 0) == nil)
        #expect(sets.count(3) == 1)
        #expect(sets.first(3) == 65)
        #expect(sets.contains(3, 65))
        #expect(!sets.contains(12, 65))
        sets.insert(3, 2)
        sets.move(2, from: 3, to: 24)
        #expect(sets.first(3) == 65)
        #expect(sets.next(24, from: 1) == 2)
        #expect(sets.count(24) == 2)
        #expect(copy.first(12) == 65)
        #expect(copy.first(3) == nil)
    }
}
