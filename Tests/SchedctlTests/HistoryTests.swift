import Foundation
import RasporedAPI
import Testing

@testable import SchedctlCore
@testable import Scheduler

/// `schedctl history`: the table, and the trace a replay is checked against.
@Suite struct HistoryTests {
    static let base: Int64 = 1_700_000_000_000

    /// An ended job as the controller shows it; `start` nil for one that never started. Times are
    /// milliseconds after `base`.
    static func ended(
        _ id: Int64, _ state: JobState, submit: Int64, start: Int64?, end: Int64, released: Int64? = nil,
        user: String = "ana", gpus: Int = 2, nodes: [String] = ["dgx01"]
    ) -> JobView {
        var j = Job(
            id: id, name: "train", user: user, account: "ivi", partition: "gpu", request: ResourceRequest(gpus: gpus),
            timeLimit: .hours(2), state: state, submitted: Timestamp(millis: base + submit),
            started: start.map { Timestamp(millis: base + $0) }, ended: Timestamp(millis: base + end),
            released: released.map { Timestamp(millis: base + $0) }, command: ["x"], workdir: "/")
        if start != nil {
            j.allocation = AllocationView(
                nodes: nodes.map {
                    NodeAllocationView(
                        node: $0, gpus: Array(0..<(gpus / nodes.count)), cores: [0], cpus: [0], numa: [0],
                        memoryBytes: [:], nics: [], scratchBytes: 0, exclusive: false)
                }, gpuModel: "H200", sharedStorageBytes: 0)
        }
        return JobView(j)
    }

    static let jobs = [
        ended(3, .completed, submit: 2_500, start: 2_600, end: 62_605, released: 62_650),
        ended(
            1, .failed, submit: 1_250, start: 1_300, end: 13_645, released: 14_000, gpus: 16, nodes: ["dgx01", "dgx02"]),
        ended(2, .cancelled, submit: 1_900, start: nil, end: 5_000),
        ended(4, .timeout, submit: 90_001, start: 90_002, end: 7_290_002, user: "bo"),
    ]

    @Test func theTraceHoldsTheRunsToTheMillisecondFromAWholeSecondOrigin() throws {
        let trace = HistoryTrace(Self.jobs)
        // The earliest submit is base + 1.25 s: the origin is the whole second it falls in.
        #expect(trace.origin == 1_700_000_001)
        #expect(trace.neverStarted == 1)
        #expect(
            trace.text == """
                id,submit,duration,time_limit,gpus,gpu_memory,gpu_model,cpus,memory,nodes,user,account,partition,hold
                1,0.25,12.345,2h,16,,,,,,ana,ivi,gpu,0.355
                3,1.5,60.005,2h,2,,,,,,ana,ivi,gpu,0.045
                4,89.001,7200,2h,2,,,,,,bo,ivi,gpu,

                """)
        let back = try TraceCSV.parse(trace.text)
        #expect(back.jobs == trace.workload.jobs)
        #expect(back.jobs.map(\.submit) == [0.25, 1.5, 89.001])
        #expect(back.jobs.map(\.duration) == [12.345, 60.005, 7200])
        // Each job's own hold past its run (released - end), where a release is recorded.
        #expect(back.jobs.map(\.hold) == [0.355, 0.045, nil])
        #expect(back.jobs.allSatisfy { $0.request.time == .hours(2) && $0.request.partition == "gpu" })
    }

    @Test func stderrSaysTheOriginTheHoldPastTheRunAndWhatWasLeftOut() {
        let notes = HistoryTrace(Self.jobs).notes
        #expect(notes[0] == "trace origin: 1700000001 (2023-11-14T22:13:21Z); submit times are seconds after it")
        // released - end: 355 ms (job 1) and 45 ms (job 3); job 4 has no recorded release.
        #expect(notes[1] == "hold past the run (released - end) over 2 jobs: median 45 ms, p95 355 ms")
        #expect(notes[2] == "1 job never started (left out)")
        #expect(HistoryTrace([]).notes == ["no ended job ran: the trace is empty"])
        #expect(HistoryTrace([]).text == TraceCSV.header + "\n")
    }

    @Test func quantilesAreNearestRank() {
        let values = Array(Int64(1)...20)
        #expect(HistoryTrace.quantile(values, 0.5) == 10)
        #expect(HistoryTrace.quantile(values, 0.95) == 19)
        #expect(HistoryTrace.quantile([7], 0.95) == 7)
        #expect(HistoryTrace.quantile([], 0.5) == nil)
    }

    @Test func theTableShowsTimesRunTimeGPUsAndNodes() {
        // The ID column is right-aligned, as numbers are.
        let lines = HistoryCommand.table(Self.jobs).split(separator: "\n").map {
            String($0.drop(while: { $0 == " " }))
        }
        #expect(
            lines[0].split(separator: " ", omittingEmptySubsequences: true) == [
                "ID", "USER", "ACCOUNT", "STATE", "SUBMIT", "START", "END", "RUN", "TIME", "GPUS", "NODES",
            ])
        #expect(lines[1].hasPrefix("3 "))
        #expect(lines[1].contains("completed"))
        #expect(lines[1].contains(" 1m "))
        #expect(lines[1].contains(localTime(Self.base / 1000 + 2)))
        #expect(lines[1].hasSuffix("dgx01"))
        #expect(lines[2].contains("failed"))
        #expect(lines[2].contains(" 16 "))
        #expect(lines[2].hasSuffix("dgx[01-02]"))
        #expect(lines[3].contains("cancelled"))
        #expect(lines[3].contains(" - "))
        #expect(lines[3].hasSuffix("-"))
        #expect(lines[4].contains("timeout"))
        #expect(lines[4].contains(" 2h "))
        #expect(HistoryCommand.table([]) == "No ended jobs.")
    }
}

/// `schedctl history` against the real controller (run without agents: a running job never ends there, so
/// the jobs that end are those cancelled while pending).
@Suite(.serialized) struct HistoryE2ETests {
    @Test func usersSeeTheirOwnEndedJobsAndJobsThatNeverRanAreLeftOutOfTheTrace() throws {
        let c = try LiveController()
        let ana = try c.token(for: "ana")
        let bo = try c.token(for: "bo")
        // Six 8-GPU jobs fill the cluster; the seventh (ana's) and eighth (bo's) wait and are cancelled.
        for i in 1...6 {
            let r = try c.schedctl(["submit", "--gpus", "8", "--account", "ivi", "--", "sleep", "\(i)"], token: ana)
            #expect(r.status == 0, "\(r.stderr)")
        }
        for token in [ana, bo] {
            let r = try c.schedctl(["submit", "--gpus", "8", "--account", "ivi", "--", "true"], token: token)
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(try c.schedctl(["cancel", "7"], token: ana).status == 0)
        #expect(try c.schedctl(["cancel", "8"], token: bo).status == 0)

        let mine = try c.schedctl(["history"], token: ana)
        #expect(mine.status == 0, "\(mine.stderr)")
        let rows = mine.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ") }
        #expect(rows.count == 1)
        #expect(rows.first?.first == "7")
        #expect(rows.first?.contains("cancelled") == true)
        // It never started: no start, no run time, no GPUs, no nodes.
        #expect(rows.first?.filter { $0 == "-" }.count == 3)
        #expect(rows.first?.last == "-")
        let all = try c.schedctl(["history"])
        #expect(all.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ")[0] } == ["7", "8"])
        let bos = try c.schedctl(["history", "--user", "bo"])
        #expect(bos.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ")[0] } == ["8"])
        #expect(try c.schedctl(["history", "--since", "2099-01-01T00:00"]).stdout == "No ended jobs.\n")

        let trace = try c.schedctl(["history", "--format", "trace"])
        #expect(trace.status == 0, "\(trace.stderr)")
        #expect(trace.stdout == TraceCSV.header + "\n")
        #expect(trace.stderr == "no ended job ran: the trace is empty\n2 jobs never started (left out)\n")
        #expect(try c.schedctl(["history", "--format", "csv"]).status == 2)
    }
}
