import Testing

@testable import Scheduler

/// The simulator's millisecond clock, its hold overhead and the placements it keeps, on the platform's
/// 6 × DGX H200 with times worked out by hand.
@Suite struct SimulatorClockTests {
    func job(_ id: Int64, at ms: Int64, gpus: Int, runs runMillis: Int64, limit: Int64 = 3600) -> SimulatedJob {
        SimulatedJob(
            id: id, submitMillis: ms, durationMillis: runMillis, timeLimit: limit, request: ResourceRequest(gpus: gpus),
            account: "ivi")
    }

    func byId(_ run: Simulator.Run) -> [Int64: SimulatedOutcome] {
        Dictionary(uniqueKeysWithValues: run.outcomes.map { ($0.id, $0) })
    }

    @Test func eventsWithinOneSecondAreTakenInTheirOrder() throws {
        // Six whole-node jobs fill the platform; one ends at 10.400 s. Job 7 arrives at 10.300 s, before that
        // end: it waits for it and starts at 10.400 (a clock of whole seconds would take both at 10 and start
        // it at once). Job 8 arrives at 10.450 s, after that end, and finds no room either: it waits for the
        // next end, job 7's at 11.400 s.
        var jobs = (1...5).map { job(Int64($0), at: 0, gpus: 8, runs: 12_000) }
        jobs.append(job(6, at: 0, gpus: 8, runs: 10_400))
        jobs.append(job(7, at: 10_300, gpus: 8, runs: 1_000))
        jobs.append(job(8, at: 10_450, gpus: 8, runs: 1_000))
        let run = try Simulator.run(spec: try platform(), jobs: jobs, options: .init(checkInvariants: true))
        #expect(run.invariantViolations.isEmpty, "\(run.invariantViolations)")
        let o = byId(run)
        #expect(o[6]?.endMillis == 10_400)
        #expect(o[7]?.startMillis == 10_400)
        #expect(o[7]?.endMillis == 11_400)
        #expect(o[7]?.wait == 0.1)
        #expect(o[8]?.startMillis == 11_400)
        #expect(o[8]?.wait == 0.95)
        #expect(run.makespan == 12.4)
        // 5 × 8 × 12 s + 8 × 10.4 s + 8 × 1 s × 2 GPU-seconds.
        #expect(abs(run.busyGPUSeconds - (480 + 83.2 + 16)) < 1e-9)
    }

    @Test func aJobHoldsItsGPUsTheHoldOverheadPastItsRun() throws {
        // One job takes all 48 GPUs for 10 s; a second, arriving at 5 s, starts when they come back: 70 ms
        // after the first run's end, which stays at 10 s.
        let jobs = [job(1, at: 0, gpus: 48, runs: 10_000), job(2, at: 5_000, gpus: 8, runs: 2_000)]
        let run = try Simulator.run(
            spec: try platform(), jobs: jobs, options: .init(checkInvariants: true, holdOverheadMillis: 70))
        #expect(run.invariantViolations.isEmpty, "\(run.invariantViolations)")
        let o = byId(run)
        #expect(o[1]?.endMillis == 10_000)
        #expect(o[1]?.runTime == 10)
        #expect(o[2]?.startMillis == 10_070)
        #expect(o[2]?.endMillis == 12_070)
        // GPUs are busy through the overheads: 48 × 10.07 + 8 × 2.07.
        #expect(abs(run.busyGPUSeconds - (48 * 10.07 + 8 * 2.07)) < 1e-9)
        #expect(run.makespan == 12.14)
        let none = try Simulator.run(spec: try platform(), jobs: jobs, options: .init(checkInvariants: true))
        #expect(byId(none)[2]?.startMillis == 10_000)
    }

    @Test func aJobsOwnHoldStandsInsteadOfTheSetting() throws {
        // Job 1 holds its 48 GPUs 300 ms past its 10 s run (its own, from the trace), not the 70 ms setting;
        // job 3, which has none, holds them 70 ms.
        var first = job(1, at: 0, gpus: 48, runs: 10_000)
        first.holdMillis = 300
        let jobs = [first, job(2, at: 5_000, gpus: 48, runs: 2_000), job(3, at: 5_000, gpus: 48, runs: 1_000)]
        let run = try Simulator.run(
            spec: try platform(), jobs: jobs, options: .init(checkInvariants: true, holdOverheadMillis: 70))
        #expect(run.invariantViolations.isEmpty, "\(run.invariantViolations)")
        let o = byId(run)
        #expect(o[1]?.endMillis == 10_000)
        #expect(o[2]?.startMillis == 10_300)
        #expect(o[2]?.endMillis == 12_300)
        #expect(o[3]?.startMillis == 12_370)
        #expect(o[3]?.endMillis == 13_370)
    }

    @Test func aRunCutAtItsTimeLimitEndsThereToTheMillisecond() throws {
        // Arrives at 0.250 s, runs 90.5 s with a 60 s limit: cut at 60.250 s.
        let run = try Simulator.run(
            spec: try platform(), jobs: [job(1, at: 250, gpus: 1, runs: 90_500, limit: 60)],
            options: .init(checkInvariants: true))
        let o = run.outcomes[0]
        #expect(o.startMillis == 250)
        #expect(o.endMillis == 60_250)
        #expect(o.kind == .timeout)
    }

    @Test func placementsAreKeptWhenAskedAndNamedNodeByNode() throws {
        let jobs = [
            job(1, at: 0, gpus: 16, runs: 1_000), job(2, at: 0, gpus: 4, runs: 1_000),
            job(3, at: 0, gpus: 65, runs: 1_000),
        ]
        let kept = try Simulator.run(
            spec: try platform(), jobs: jobs, options: .init(checkInvariants: true, recordsPlacements: true))
        let o = byId(kept)
        // Two whole nodes for 16 GPUs, four GPUs of one socket (0-3 or 4-7) for 4.
        let whole = try #require(o[1]?.placement)
        #expect(whole.wholeMatch(of: /dgx0[1-6]:0-7;dgx0[1-6]:0-7/) != nil, "\(whole)")
        let nodes = whole.split(separator: ";").map { $0.split(separator: ":")[0] }
        #expect(Set(nodes).count == 2)
        let four = try #require(o[2]?.placement)
        #expect(four.wholeMatch(of: /dgx0[1-6]:(0-3|4-7)/) != nil, "\(four)")
        #expect(o[3]?.placement == nil)
        #expect(o[3]?.kind == .neverFits)
        #expect(o[1]?.kind == .completed)
        // Without asking, a run keeps none, and decides the same.
        let plain = try Simulator.run(spec: try platform(), jobs: jobs, options: .init(checkInvariants: true))
        #expect(plain.outcomes.allSatisfy { $0.placement == nil })
        #expect(plain.outcomes.map(\.startMillis) == kept.outcomes.map(\.startMillis))
    }

    @Test func aJobStillWaitingWhenTheReplayEndsIsCancelled() throws {
        // The account may use 1 GPU-hour per 30 days. Its first job (8 GPUs, cut at its 400 s limit) uses
        // 0.89 of it; the second (8 GPUs × 60 s, 0.13) would overrun it and waits for the next period, which
        // no event of the replay brings: the replay ends with it waiting.
        var spec = try platform()
        let i = try #require(spec.accounts.firstIndex { $0.name == "ivi" })
        spec.accounts[i].limits = AccountLimits(gpuHours: 1, period: .days(30))
        let jobs = [
            job(1, at: 0, gpus: 8, runs: 500_000, limit: 400), job(2, at: 1_000, gpus: 8, runs: 1_000, limit: 60),
        ]
        let run = try Simulator.run(spec: spec, jobs: jobs, options: .init(checkInvariants: false))
        let o = byId(run)
        #expect(o[1]?.kind == .timeout)
        #expect(o[2]?.startMillis == nil)
        #expect(o[2]?.kind == .cancelled)
    }

    @Test func millisecondsAreWrittenAsSecondsWithoutTrailingZeros() {
        #expect(TraceCSV.millisText(0) == "0")
        #expect(TraceCSV.millisText(3_600_000) == "3600")
        #expect(TraceCSV.millisText(12_500) == "12.5")
        #expect(TraceCSV.millisText(70) == "0.07")
        #expect(TraceCSV.millisText(1_001) == "1.001")
        #expect(TraceCSV.millisText(-250) == "-0.25")
        #expect(TraceCSV.millisText(-1_250) == "-1.25")
    }
}
