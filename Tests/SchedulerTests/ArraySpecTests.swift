import Foundation
import Testing

@testable import Scheduler

/// `--array` as Slurm writes it: every form, the cap, the limits, and the errors people see.
@Suite struct ArraySpecTests {
    @Test(arguments: [
        ("0-99", Array(0...99), nil as Int?, "0-99"),
        ("1,3,5-7", [1, 3, 5, 6, 7], nil, "1,3,5-7"),
        ("0-15:4", [0, 4, 8, 12], nil, "0-12:4"),
        ("0-99%8", Array(0...99), 8, "0-99%8"),
        ("1-5,7,9-11:2%3", [1, 2, 3, 4, 5, 7, 9, 11], 3, "1-5,7,9,11%3"),
        ("7", [7], nil, "7"),
        (" 3 , 1 ", [1, 3], nil, "1,3"),
        ("0-3,2-5", Array(0...5), nil, "0-5"),
        ("5-5:3", [5], nil, "5"),
        ("0,10,20", [0, 10, 20], nil, "0-20:10"),
    ])
    func slurmFormsAreRead(_ text: String, _ indices: [Int], _ limit: Int?, _ canonical: String) throws {
        let spec = try ArraySpec(parsing: text)
        #expect(spec.indices == indices)
        #expect(spec.limit == limit)
        #expect(spec.description == canonical)
        // The canonical text reads back as the same array.
        #expect(try ArraySpec(parsing: canonical) == spec)
    }

    @Test(arguments: [
        ("", "an empty array"),
        ("5-3", "'5-3' runs backwards"),
        ("-1", "'-1' is not a range a-b of numbers"),
        ("a-b", "'a-b' is not a range a-b of numbers"),
        ("0-9:0", "the step must be at least 1, not 0"),
        ("0-9:x", "the step 'x' is not a number"),
        ("4:2", "a step needs a range"),
        ("0-9%0", "at least 1 task must be allowed to run at once"),
        ("0-9%x", "the cap after '%' is a whole number of tasks"),
        ("0-9%2%3", "one '%' at most"),
        ("%4", "give the task indices before the '%'"),
        ("0-10000", "an array of 10001 tasks is too large: at most 10000 tasks per array"),
        ("0-999999999", "task index 999999999 is too large (at most 4000000)"),
        ("1,x", "'x' is not a number or a range a-b"),
    ])
    func badArraysAreRefusedWithTheReason(_ text: String, _ words: String) {
        #expect {
            try ArraySpec(parsing: text)
        } throws: { error in
            String(describing: error).contains(words)
        }
    }

    @Test func theLargestAllowedArrayIsAcceptedAndAHugeOneIsRefusedWithoutListingIt() throws {
        #expect(try ArraySpec(parsing: "0-9999").count == ArraySpec.maxTasks)
        // Counted, not expanded: this would be four million values.
        #expect(throws: ArraySpecError.self) { try ArraySpec(parsing: "0-3999999") }
        // Overlapping ranges count once.
        #expect(try ArraySpec(parsing: "0-9999,0-9999").count == 10_000)
    }

    @Test func eachTaskKnowsItsArraysShape() throws {
        let t = try ArraySpec(parsing: "0-15:4%2").task(8, arrayJobId: 42)
        #expect(t.arrayJobId == 42)
        #expect(t.taskId == 8)
        #expect(t.minTask == 0)
        #expect(t.maxTask == 12)
        #expect(t.taskCount == 4)
        #expect(t.step == 4)
        #expect(t.limit == 2)
        #expect(t.description == "42_8")
        #expect(t.arrayText == "0-12:4%2")
        // Unevenly spaced indices have step 1, as Slurm's SLURM_ARRAY_TASK_STEP.
        let uneven = try ArraySpec(parsing: "1,3,5-7").task(3, arrayJobId: 9)
        #expect(uneven.step == 1)
        #expect(uneven.minTask == 1)
        #expect(uneven.maxTask == 7)
        #expect(uneven.taskCount == 5)
        // An irregular list too long to keep with every task is summarised.
        let long = try ArraySpec(indices: (0..<400).map { $0 * $0 % 7919 })
        let task = long.task(long.indices[0], arrayJobId: 1)
        #expect(task.indices == nil)
        #expect(task.arrayText == "\(long.indices.first!)-\(long.indices.last!) (\(long.count) tasks)")
    }

    @Test func onTheWireAnArrayIsItsText() throws {
        let spec = try ArraySpec(parsing: "1,3,5-7%2")
        let data = try JSONEncoder().encode([spec])
        #expect(String(decoding: data, as: UTF8.self) == #"["1,3,5-7%2"]"#)
        #expect(try JSONDecoder().decode([ArraySpec].self, from: data) == [spec])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ArraySpec].self, from: Data(#"["9-1"]"#.utf8)) }
    }

    @Test func rangeListsTakeStepsOnlyWhereAsked() throws {
        #expect(try RangeList.ranges("0-15:4", steps: true) == [IntegerRange(first: 0, last: 15, step: 4)])
        #expect(try RangeList.ranges("0-15:4", steps: true)[0].count == 4)
        #expect(throws: RangeListError("'0-15:4': a step (':') is not allowed here")) {
            try RangeList.ranges("0-15:4")
        }
        // The lists cluster.yaml and the agent read are unchanged: no steps, nil for anything malformed.
        #expect(RangeList.expandIntegers("0-3,8") == [0, 1, 2, 3, 8])
        #expect(RangeList.expandIntegers("0-7:2") == nil)
        #expect(RangeList.expandIntegers("") == nil)
        #expect(RangeList.expandIntegers("1, ,2") == nil)
    }

    @Test(arguments: [
        ("42", JobReference.job(42)), ("42_7", .task(array: 42, index: 7)), (" 5_0 ", .task(array: 5, index: 0)),
    ])
    func jobReferencesAreIdsOrArrayTasks(_ text: String, _ ref: JobReference) throws {
        #expect(try JobReference(parsing: text) == ref)
        #expect(try JobReference(parsing: ref.description) == ref)
    }

    @Test(arguments: ["", "0", "-3", "42_", "_7", "42_7_1", "42.1", "x", "42_-1", "+4"])
    func otherTextNamesNoJob(_ text: String) {
        #expect(throws: JobReferenceError.self) { try JobReference(parsing: text) }
    }
}
