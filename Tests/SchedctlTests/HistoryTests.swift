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

    @Test func theTableShowsTimesElapsedGPUHoursNodesAndExit() throws {
        var jobs = Self.jobs
        // As the controller answers: GPU-seconds over the runs (2 GPUs × 60.005 s for job 3).
        jobs[0].gpuSeconds = 120.01
        jobs[0].exitCode = 0
        let lines = HistoryCommand.table(
            HistoryCommand.lines(jobs, runs: false, now: 0), try HistoryField.parse(HistoryField.defaults)
        ).split(separator: "\n").map { String($0.drop(while: { $0 == " " })) }
        #expect(
            lines[0].split(separator: " ", omittingEmptySubsequences: true) == [
                "ID", "USER", "ACCOUNT", "STATE", "SUBMIT", "START", "END", "ELAPSED", "GPUS", "GPU-HOURS", "NODES",
                "EXIT",
            ])
        #expect(lines[1].hasPrefix("3 "))
        #expect(lines[1].contains("completed"))
        #expect(lines[1].contains(" 1m "))
        #expect(lines[1].contains(" 0.03 "))
        #expect(lines[1].contains(localTime(Self.base / 1000 + 2)))
        #expect(lines[1].hasSuffix("0:0"))
        #expect(lines[1].contains(" dgx01 "))
        #expect(lines[2].contains("failed"))
        #expect(lines[2].contains(" 16 "))
        #expect(lines[2].hasSuffix("dgx[01-02]  -"))
        #expect(lines[3].hasSuffix("-"))
        #expect(lines[3].contains("cancelled"))
        #expect(lines[3].contains(" - "))
        #expect(lines[4].contains("timeout"))
        #expect(lines[4].contains(" 2h "))
        #expect(lines[5] == "4 jobs, 0.03 GPU-hours")
        #expect(HistoryCommand.table([], []) == "No jobs ran or ended in the window.")
    }

    @Test func fieldsAreChosenByNameOrBySacctsNames() throws {
        #expect(
            try HistoryField.parse("JobID,Elapsed,NodeList,TotalCPU,MaxRSS,ExitCode").map(\.name) == [
                "id", "elapsed", "nodes", "cputime", "maxrss", "exit",
            ])
        #expect(throws: HistoryFieldError.self) { try HistoryField.parse("id,bogus") }
        #expect(HistoryFieldError(name: "bogus").description.hasPrefix("unknown field 'bogus' (fields: id, name,"))
    }

    @Test func runsGetALineEachAndCSVCarriesExactValues() throws {
        // A job that ran 100.5 s, was requeued, and completed 3,499.5 s later, on 2 GPUs with 32 CPUs and
        // 64 GiB on its node; 1,800 CPU-seconds and 16 GiB peak in its last run.
        var job = Self.ended(7, .completed, submit: 0, start: 100_500, end: 3_600_000)
        job.requeueCount = 1
        job.allocation?.nodes[0].cpus = Array(0..<32)
        job.allocation?.nodes[0].memoryBytes = ["0": 64 << 30]
        job.cpuSeconds = 1800
        job.peakMemoryBytes = 16 << 30
        job.exitCode = 0
        let run0 = JobRun(
            jobId: 7, run: 0, user: "ana", account: "ivi", partition: "gpu", gpus: 2, gpuModel: "H200",
            nodes: ["dgx03"], submitMillis: Self.base, startMillis: Self.base, endMillis: Self.base + 100_500,
            outcome: .requeued, reason: "requeued: node dgx03 lost")
        var run1 = run0
        run1.run = 1
        run1.nodes = ["dgx01"]
        run1.startMillis = Self.base + 100_500
        run1.endMillis = Self.base + 3_600_000
        run1.outcome = .completed
        run1.exitCode = 0
        run1.reason = nil
        run1.cpuSeconds = 1800
        run1.peakMemoryBytes = 16 << 30
        job.runs = [run0, run1]
        job.gpuSeconds = 7200
        let fields = try HistoryField.parse("id,state,elapsed,wait,gpuhours,nodes,cputime,maxrss,cpueff,memeff,reason")
        let lines = HistoryCommand.lines([job], runs: true, now: 0)
        #expect(lines.map(\.id) == ["7", "7.1"])
        let csv = HistoryCommand.csv(lines, fields).split(separator: "\n").map(String.init)
        #expect(csv[0] == "id,state,elapsed,wait,gpuhours,nodes,cputime,maxrss,cpueff,memeff,reason")
        #expect(csv[1] == "7,requeued,100.5,0,0.0558,dgx03,,,,,requeued: node dgx03 lost")
        // 1,800 CPU-seconds over 32 CPUs × 3,499.5 s; 16 GiB of 64.
        #expect(csv[2] == "7.1,completed,3499.5,0,1.9442,dgx01,1800.000,17179869184,0.0161,0.2500,")
        // Without --runs: one line, the job's GPU-hours over both runs.
        let whole = HistoryCommand.csv(HistoryCommand.lines([job], runs: false, now: 0), fields)
        #expect(
            whole.split(separator: "\n")[1] == "7,completed,3499.5,0,2.0000,dgx01,1800.000,17179869184,0.0161,0.2500,")
    }

    @Test func periodsAreYearsQuartersMonthsAndDaysInTheLocalZone() throws {
        let belgrade = try #require(TimeZone(identifier: "Europe/Belgrade"))
        // 2026-10-01 00:00 CEST (UTC+2) to 2027-01-01 00:00 CET (UTC+1).
        let q4 = try #require(UsagePeriod("2026-Q4", timeZone: belgrade))
        #expect(q4.since == 1_790_805_600)
        #expect(q4.until == 1_798_758_000)
        let november = try #require(UsagePeriod("2026-11", timeZone: belgrade))
        #expect(november.since == 1_793_487_600 && november.until == 1_796_079_600)
        let day = try #require(UsagePeriod("2026-03-29", timeZone: belgrade))
        // The day clocks go forward: 23 hours.
        #expect(day.until - day.since == 23 * 3600)
        #expect(try #require(UsagePeriod("2026", timeZone: belgrade)).until == q4.until)
        for bad in ["2026-Q5", "2026-13", "2026-02-30", "26", "2026-1", "Q4", "2026-Q4-01", "1969"] {
            #expect(UsagePeriod(bad, timeZone: belgrade) == nil, "\(bad)")
        }
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
        // The header, a line per job, and the total.
        let lines = mine.stdout.split(separator: "\n")
        let rows = lines.dropFirst().dropLast().map { $0.split(separator: " ") }
        #expect(rows.map { String($0[0]) } == ["1", "2", "3", "4", "5", "6", "7"])
        #expect(rows.prefix(6).allSatisfy { $0.contains("running") && $0.contains("8") })
        #expect(rows.last?.contains("cancelled") == true)
        // It never started: no start, no elapsed time, no GPUs, no nodes, no exit status.
        #expect(rows.last?.filter { $0 == "-" }.count == 4)
        #expect(rows.last?.contains("0.00") == true)
        #expect(rows.last?.last == "-")
        #expect(lines.last?.hasPrefix("7 jobs, ") == true)
        let cancelled = try c.schedctl(["history", "--state", "cancelled"])
        #expect(
            cancelled.stdout.split(separator: "\n").dropFirst().dropLast().map { $0.split(separator: " ")[0] } == [
                "7", "8",
            ])
        let bos = try c.schedctl(["history", "--user", "bo"])
        #expect(bos.stdout.split(separator: "\n").dropFirst().dropLast().map { $0.split(separator: " ")[0] } == ["8"])
        let refused = try c.schedctl(["history", "--user", "ana"], token: bo)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("bo may read only their own jobs' history"))
        #expect(
            try c.schedctl(["history", "--since", "2099-01-01T00:00"]).stdout == "No jobs ran or ended in the window.\n"
        )

        // Usage this past hour, as the admin: ivi's six running jobs (48 GPUs) and nothing else; as bo, bo's only.
        let usage = try c.schedctl(["usage", "--since", "1h", "--csv"])
        #expect(usage.status == 0, "\(usage.stderr)")
        let cells = usage.stdout.split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false)
        }
        #expect(cells.first == ["account", "parent", "gpu_hours", "share", "jobs", "mean_wait_s"])
        let ivi = try #require(cells.first { $0.first == "ivi" })
        #expect(ivi[4] == "6")
        #expect((Double(ivi[2]) ?? 0) > 0)
        #expect(cells.last?.first == "total" && cells.last?[4] == "6")
        #expect(cells.filter { $0.first != "ivi" && $0.first != "total" }.dropFirst().allSatisfy { $0[4] == "0" })
        let bosUsage = try c.schedctl(["usage", "--since", "1h", "--by", "user"], token: bo)
        #expect(bosUsage.status == 0, "\(bosUsage.stderr)")
        #expect(bosUsage.stdout.contains("(your jobs and the accounts you coordinate)"))
        #expect(!bosUsage.stdout.contains("ana"))
        #expect(try c.schedctl(["usage", "--period", "2026-Q5"]).status == 2)
        let shares = try c.schedctl(["shares"], token: ana)
        #expect(shares.status == 0, "\(shares.stderr)")
        let iviShare = try #require(shares.stdout.split(separator: "\n").first { $0.hasPrefix("ivi ") })
        // ivi's jobs hold all 48 GPUs.
        #expect(iviShare.split(separator: " ").contains("48"))
        #expect(shares.stdout.contains("Half-life 7d"))

        let trace = try c.schedctl(["history", "--format", "trace"])
        #expect(trace.status == 0, "\(trace.stderr)")
        #expect(trace.stdout == TraceCSV.header + "\n")
        #expect(trace.stderr == "no ended job ran: the trace is empty\n2 jobs never started (left out)\n")
        #expect(try c.schedctl(["history", "--format", "csv"]).status == 2)
    }
}
