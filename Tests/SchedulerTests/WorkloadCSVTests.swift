import Foundation
import Testing

@testable import Scheduler

@Suite struct WorkloadCSVTests {
    /// Jobs using every column, with values that are easy to get wrong: fractional seconds, a size that
    /// is no round unit, text with a comma and a quote, the extra request columns.
    func sample() -> Workload {
        Workload(
            jobs: [
                TraceJob(
                    id: "b", submit: 0.1 + 0.2, duration: 3600,
                    request: ResourceRequest(
                        gpus: 8, gpuModel: "H200", cpus: 56, memory: .gibibytes(512), nodes: 1, partition: "gpu",
                        account: "physics, lab", time: .hours(36)),
                    user: "ana \"the\" admin"),
                TraceJob(
                    id: "a", submit: 0, duration: 12.75,
                    request: ResourceRequest(gpuMemory: .gigabytes(141), memory: ByteSize(bytes: 1_234_567)),
                    user: nil),
                TraceJob(
                    id: "c", submit: 7200, duration: 1,
                    request: ResourceRequest(
                        gpus: 16, minGpuMemory: .gigabytes(80), scratch: .terabytes(1), storage: .tebibytes(2),
                        nodes: 2, gpusPerNode: 8, exclusive: true, sameNuma: true)),
                TraceJob(
                    id: "d", submit: 7200, duration: 0, request: ResourceRequest(gpus: 0, cpus: 4), user: " spaced "),
            ],
            provenance: "test")
    }

    @Test func roundTripsEveryField() throws {
        let w = sample()
        let text = TraceCSV.write(w)
        let back = try TraceCSV.parse(text)
        #expect(back.jobs == w.jobs)
        #expect(TraceCSV.write(back) == text)
        #expect(back.jobs.map(\.id) == ["a", "b", "c", "d"])  // sorted by submit; ties keep their order
    }

    @Test func writesTheDocumentedForm() {
        let w = Workload(
            jobs: [
                TraceJob(
                    id: "j1", submit: 30, duration: 5400.5,
                    request: ResourceRequest(
                        gpus: 4, gpuModel: "H200", cpus: 16, memory: .gibibytes(80), account: "ml", time: .hours(2)),
                    user: "ana")
            ], provenance: "test")
        #expect(
            TraceCSV.write(w) == """
                id,submit,duration,time_limit,gpus,gpu_memory,gpu_model,cpus,memory,nodes,user,account,partition
                j1,30,5400.5,2h,4,,H200,16,80GiB,,ana,ml,

                """)
        #expect(
            TraceCSV.header
                == "id,submit,duration,time_limit,gpus,gpu_memory,gpu_model,cpus,memory,nodes,user,account,partition")
    }

    /// Times measured to the millisecond (a controller's history) are written as such and read back the same.
    @Test func keepsMillisecondsInTimes() throws {
        let times: [(submit: Double, duration: Double, text: String)] = [
            (0.1, 59.999, "m1,0.1,59.999,"), (12.345, 0.001, "m2,12.345,0.001,"),
            (Double(86_400_123) / 1000, Double(7_001) / 1000, "m3,86400.123,7.001,"),
            (1_000_000.999, 3_000_000_000.123, "m4,1000000.999,3000000000.123,"),
        ]
        let w = Workload(
            jobs: times.enumerated().map { i, t in
                TraceJob(id: "m\(i + 1)", submit: t.submit, duration: t.duration, request: ResourceRequest(gpus: 1))
            }, provenance: "test")
        let text = TraceCSV.write(w)
        let lines = text.split(separator: "\n").dropFirst()
        for (line, t) in zip(lines, times) { #expect(line.hasPrefix(t.text), "\(line)") }
        let back = try TraceCSV.parse(text)
        #expect(back.jobs.map(\.submit) == times.map(\.submit))
        #expect(back.jobs.map(\.duration) == times.map(\.duration))
    }

    @Test func readsTimesAsSecondsOrTimeText() throws {
        let w = try TraceCSV.parse(
            """
            duration,id,submit,time_limit
            01:30:00,x,1h,90
            1d12h,y,7200.25,2-00:00:00
            """)
        #expect(w.jobs.map(\.submit) == [3600, 7200.25])
        #expect(w.jobs.map(\.duration) == [5400, 129_600])
        // A bare number is seconds here, not Slurm's minutes.
        #expect(w.jobs.map(\.timeLimit) == [TimeSpan(seconds: 90), .days(2)])
        #expect(w.jobs[0].request == ResourceRequest(time: TimeSpan(seconds: 90)))
    }

    /// A full row under `TraceCSV.header`: id j, submit 0, duration 10, and `fields` over those.
    static func row(_ fields: [String: String]) -> String {
        let base = ["id": "j", "submit": "0", "duration": "10"].merging(fields) { $1 }
        return TraceCSV.baseColumns.map { base[$0] ?? "" }.joined(separator: ",")
    }

    static func message(parsing text: String) -> String? {
        do {
            _ = try TraceCSV.parse(text)
            return nil
        } catch {
            return error.description
        }
    }

    @Test(arguments: [
        (["gpus": "x"], "trace.csv:3: gpus: 'x' is not a whole number"),
        (["gpus": "-2"], "trace.csv:3: gpus: must not be negative (-2)"),
        (["gpus": "1.5"], "trace.csv:3: gpus: '1.5' is not a whole number"),
        (
            ["submit": "soon"],
            "trace.csv:3: submit: 'soon' is not a time (seconds, or text such as 90s, 4h, 1d12h, 01:30:00)"
        ),
        (["submit": "-5"], "trace.csv:3: submit: must not be negative ('-5')"),
        (
            ["submit": "inf"],
            "trace.csv:3: submit: 'inf' is not a time (seconds, or text such as 90s, 4h, 1d12h, 01:30:00)"
        ),
        (["duration": ""], "trace.csv:3: duration: every job needs a duration"),
        (["submit": ""], "trace.csv:3: submit: every job needs a submit time"),
        (["id": ""], "trace.csv:3: id: every job needs an id"),
        (
            ["time_limit": "0"],
            "trace.csv:3: time_limit: a time limit must be a whole number of seconds more than 0, not 0"
        ),
        (
            ["time_limit": "1.5"],
            "trace.csv:3: time_limit: a time limit must be a whole number of seconds more than 0, not 1.5"
        ),
        (["gpus": "1", "gpu_memory": "40GB"], "trace.csv:3: gpu_memory: give either gpus or gpu_memory, not both"),
        (["gpu_memory": "lots"], "trace.csv:3: gpu_memory: 'lots' is not a size such as 80GiB or 141GB"),
        (["memory": "-1GB"], "trace.csv:3: memory: a size must not be negative ('-1GB')"),
        (["nodes": "0"], "trace.csv:3: nodes: must be at least 1, not 0"),
        (["cpus": "four"], "trace.csv:3: cpus: 'four' is not a whole number"),
    ])
    func reportsEachFieldErrorWithItsLine(fields: [String: String], message: String) {
        // A good row on line 2, the faulty one (id k unless the case is about the id) on line 3.
        var faulty = fields
        if faulty["id"] == nil { faulty["id"] = "k" }
        let text = TraceCSV.header + "\n" + Self.row([:]) + "\n" + Self.row(faulty) + "\n"
        #expect(Self.message(parsing: text) == message)
    }

    @Test(arguments: [
        ("j,0,10,,1,,,,,,,,,", "trace.csv:2: expected 13 fields (as the header has), found 14"),
        ("j,0,10", "trace.csv:2: expected 13 fields (as the header has), found 3"),
        ("\"j,0,10,,1,,,,,,,,", "trace.csv:2: a quoted field is not closed on this line"),
    ])
    func reportsMalformedRowsWithTheirLine(row: String, message: String) {
        #expect(Self.message(parsing: TraceCSV.header + "\n" + row + "\n") == message)
    }

    @Test func countsLinesPastBlankLinesAndNamesTheFile() {
        let text = "id,submit,duration,exclusive\na,0,1,\n\nb,0,1,true\r\nc,0,1,maybe\n"
        do {
            _ = try TraceCSV.parse(text, file: "mine.csv")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "mine.csv:5: exclusive: 'maybe' is not true or false")
        }
    }

    @Test func reportsDuplicateIdsWithBothLines() {
        do {
            _ = try TraceCSV.parse("id,submit,duration\na,0,1\nb,0,1\na,5,1\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "trace.csv:4: id: duplicate 'a' (first on line 2)")
        }
    }

    @Test(arguments: [
        (
            "id,submit,duration,gpu\n",
            "trace.csv:1: unknown column 'gpu' (columns: \((TraceCSV.baseColumns + TraceCSV.extraColumns).joined(separator: ",")))"
        ),
        ("id,duration,gpus\n", "trace.csv:1: missing column submit"),
        ("gpus\n", "trace.csv:1: missing columns id, submit, duration"),
        ("id,submit,duration,id\n", "trace.csv:1: column 'id' appears twice"),
        ("\n\n", "trace.csv: empty file: expected a header line"),
    ])
    func reportsHeaderErrors(text: String, message: String) {
        do {
            _ = try TraceCSV.parse(text)
            Issue.record("expected an error")
        } catch {
            #expect(error.description == message)
        }
    }
}
