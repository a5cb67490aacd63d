import Testing

@testable import Scheduler

/// `RangeList.compact`, the one writer of "0-3,8" lists, and PCI bus ids as cluster.yaml gives them.
@Suite struct RangeListAndBusIdTests {
    @Test(arguments: [
        ([0, 1, 2, 3, 8], "0-3,8"),
        ([], ""),
        ([5], "5"),
        ([8, 3, 2, 1, 0, 3], "0-3,8"),
        ([0, 2, 4], "0,2,4"),
        ([110, 111, 0, 1], "0-1,110-111"),
    ])
    func compactWritesRuns(_ values: [Int], _ text: String) {
        #expect(RangeList.compact(values) == text)
    }

    @Test func compactIsTheInverseOfExpand() {
        for text in ["0-3,8", "0", "1,3,5-9,100-111"] {
            #expect(RangeList.compact(RangeList.expandIntegers(text)!) == text)
        }
    }
}
