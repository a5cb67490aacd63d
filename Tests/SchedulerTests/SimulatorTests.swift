import Testing

@testable import Scheduler

/// The simulator on small traces whose figures are worked out by hand, on the platform's 6 × DGX H200.
@Suite struct SimulatorTests {
    func job(_ id: Int64, at t: Int64, gpus: Int, nodes: Int? = nil, runs: Int64, limit: Int64 = 3600)
        -> SimulatedJob
    {
        SimulatedJob(
            id: id, submit: t, duration: runs, timeLimit: limit, request: ResourceRequest(gpus: gpus, nodes: nodes),
            account: id % 2 == 0 ? "ivi" : "etf")
    }

    @Test func waitsUtilisationAndNeverFittingJobsByHand() throws {
        var jobs = (1...6).map { job(Int64($0), at: 0, gpus: 8, runs: 100) }
        jobs.append(job(7, at: 10, gpus: 8, runs: 50))  // waits for the first node to free at 100
        jobs.append(job(8, at: 20, gpus: 1, runs: 10))  // waits too; starts beside job 7 at 100
        jobs.append(job(9, at: 0, gpus: 65, runs: 10))  // never fits 48 GPUs
        let run = try Simulator.run(spec: try platform(), jobs: jobs, options: .init(checkInvariants: true))
        #expect(run.invariantViolations.isEmpty, "\(run.invariantViolations)")
        let byId = Dictionary(uniqueKeysWithValues: run.outcomes.map { ($0.id, $0) })
        #expect((1...6).allSatisfy { byId[Int64($0)]?.wait == 0 && byId[Int64($0)]?.end == 100 })
        #expect(byId[7]?.start == 100)
        #expect(byId[7]?.end == 150)
        #expect(byId[7]?.wait == 90)
        #expect(byId[8]?.start == 100)
        #expect(byId[8]?.end == 110)
        #expect(byId[8]?.wait == 80)
        #expect(byId[9]?.start == nil)
        #expect(byId[9]?.neverFits == "65 GPUs requested; the cluster has 48")
        // 6 × 8 × 100 + 8 × 50 + 1 × 10 GPU-seconds over 150 s of 48 GPUs.
        #expect(run.busyGPUSeconds == 5210)
        #expect(run.makespan == 150)
        #expect(run.fragmentationBlockedGPUSeconds == 0)
        #expect(run.events == 9 + 8)  // 9 arrivals, 8 ends
    }

    @Test func idleGPUsAJobCouldUseByCountButNotByShapeAreCountedAsBlocked() throws {
        // Every node keeps 1 GPU free (6 in all), and a 4-GPU job cannot use them: blocked until 100.
        var jobs = (1...6).map { job(Int64($0), at: 0, gpus: 7, runs: 100) }
        jobs.append(job(7, at: 0, gpus: 4, runs: 10))
        let run = try Simulator.run(spec: try platform(), jobs: jobs, options: .init(checkInvariants: true))
        #expect(run.invariantViolations.isEmpty, "\(run.invariantViolations)")
        #expect(run.outcomes.last?.start == 100)
        #expect(run.fragmentationBlockedGPUSeconds == 6 * 100)
    }

    /// 4-GPU jobs asking for more cores than a domain has (as Alibaba's openb trace has) run under every
    /// policy: on the idle cluster they all start at once, 2 + 2 GPUs each, and every job ends. (Kept in one
    /// domain, such a job was refused everywhere; under backfill and fairshare the replay ended with it
    /// waiting.)
    @Test func jobsAskingForMoreCoresThanADomainHasRunUnderEveryPolicy() throws {
        let jobs = (1...6).map {
            SimulatedJob(
                id: Int64($0), submit: 0, duration: 100, timeLimit: 600,
                request: ResourceRequest(gpus: 4, cpus: 61, memory: .gibibytes(313)), account: "ivi")
        }
        for policy in QueuePolicyName.allCases {
            let run = try Simulator.run(
                spec: try platform(), jobs: jobs, options: .init(queue: policy, checkInvariants: true))
            #expect(run.invariantViolations.isEmpty, "\(policy): \(run.invariantViolations)")
            #expect(run.outcomes.allSatisfy { $0.start == 0 && $0.end == 100 }, "\(policy)")
        }
    }

    @Test func timeLimitsCutRunsAndFasterGPUsShortenThem() throws {
        let jobs = [job(1, at: 0, gpus: 8, runs: 200, limit: 100), job(2, at: 0, gpus: 8, runs: 90)]
        let run = try Simulator.run(spec: try platform(), jobs: jobs, options: .init(checkInvariants: true))
        #expect(run.outcomes[0].end == 100)
        #expect(run.outcomes[0].timedOut)
        #expect(run.outcomes[1].end == 90)
        #expect(!run.outcomes[1].timedOut)
        // The same trace where an H200 counts three times as fast: 200 → 66.667 s (rounded up to the
        // millisecond), 90 → 30 s.
        let fast = try Simulator.run(
            spec: try platform(), jobs: jobs,
            options: .init(speed: GPUSpeed(relative: ["H200": 3]), checkInvariants: true))
        #expect(fast.outcomes[0].endMillis == 66_667)
        #expect(!fast.outcomes[0].timedOut)
        #expect(fast.outcomes[1].end == 30)
    }

    @Test func aLongRunsTimelineKeepsAFewThousandPointsFromFirstMomentToLast() throws {
        // 5,000 one-GPU jobs, one every 10 s, each running 5 s: 10,000 moments (every arrival and every end),
        // one job busy at most. The timeline is sampled while the run goes, then thinned to about 2,000 points.
        let jobs = (0..<5000).map { i in job(Int64(i), at: Int64(i) * 10, gpus: 1, runs: 5) }
        let run = try Simulator.run(spec: try platform(), jobs: jobs, options: .init(checkInvariants: false))
        #expect(run.timeline.count > 1000)
        #expect(run.timeline.count <= 2001)
        #expect(run.timeline.first?.time == 0)
        #expect(run.timeline.last?.time == 49_995)
        #expect(run.timeline.last?.busyGPUs == 0)
        #expect(run.timeline.last?.queued == 0)
        #expect(zip(run.timeline, run.timeline.dropFirst()).allSatisfy { $0.time < $1.time })
        // Arrivals come at multiples of 10 with the cluster then holding that one job, ends 5 s later with none.
        #expect(
            run.timeline.allSatisfy {
                $0.busyGPUs == ($0.time.truncatingRemainder(dividingBy: 10) == 0 ? 1 : 0) && $0.queued == 0
            })
    }

    @Test func theSameInputsGiveTheSameRun() throws {
        var rng = SeededRandom(seed: 7)
        let sizes = [1, 1, 2, 4, 8]
        let jobs = (1...1500).map { i in
            job(
                Int64(i), at: Int64(i * 3), gpus: sizes[Int(rng.next() % UInt64(sizes.count))],
                runs: Int64(rng.next() % 400) + 1)
        }
        let a = try Simulator.run(spec: try platform(), jobs: jobs, options: .init(checkInvariants: true))
        let b = try Simulator.run(spec: try platform(), jobs: jobs, options: .init(checkInvariants: true))
        #expect(a.invariantViolations.isEmpty, "\(a.invariantViolations)")
        #expect(a.outcomes == b.outcomes)
        #expect(a.timeline == b.timeline)
        #expect(a.busyGPUSeconds == b.busyGPUSeconds)
        #expect(a.outcomes.allSatisfy { $0.end != nil })
    }

    @Test func jobsGivenOutOfSubmissionOrderRunAsTheyWouldInOrder() throws {
        // The loop reads a trace in submission order as it is and sorts one that is not: both give each job the
        // same run, and the outcomes come in the order the jobs were given.
        var rng = SeededRandom(seed: 11)
        let sizes = [1, 2, 4, 8]
        let sorted = (1...600).map { i in
            job(
                Int64(i), at: Int64(i * 7 + Int(rng.next() % 5)), gpus: sizes[Int(rng.next() % 4)],
                runs: Int64(rng.next() % 600) + 1)
        }
        var shuffled = sorted
        for i in shuffled.indices.reversed() { shuffled.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        #expect(shuffled.map(\.id) != sorted.map(\.id))
        for policy in QueuePolicyName.allCases {
            let options = Simulator.Options(queue: policy, checkInvariants: true)
            let a = try Simulator.run(spec: try platform(), jobs: sorted, options: options)
            let b = try Simulator.run(spec: try platform(), jobs: shuffled, options: options)
            #expect(a.invariantViolations.isEmpty)
            #expect(b.invariantViolations.isEmpty)
            #expect(b.outcomes.map(\.id) == shuffled.map(\.id))
            #expect(b.outcomes.sorted { $0.id < $1.id } == Array(a.outcomes), "\(policy)")
            #expect(a.events == b.events)
            #expect(a.makespan == b.makespan)
            #expect(a.busyGPUSeconds == b.busyGPUSeconds)
        }
    }
}

/// The report's figures on the hand-worked trace.
@Suite struct SimulationReportTests {
    @Test func figuresByHand() throws {
        var jobs = (1...6).map {
            SimulatedJob(
                id: Int64($0), submit: 0, duration: 100, timeLimit: 3600, request: ResourceRequest(gpus: 8),
                account: "ivi")
        }
        jobs.append(
            SimulatedJob(
                id: 7, submit: 10, duration: 50, timeLimit: 3600, request: ResourceRequest(gpus: 8), account: "etf"))
        jobs.append(
            SimulatedJob(
                id: 8, submit: 20, duration: 10, timeLimit: 3600, request: ResourceRequest(gpus: 1), account: "etf"))
        let report = SimulationReport(try Simulator.run(spec: try platform(), jobs: jobs))
        #expect(report.jobs == 8)
        #expect(report.completed == 8)
        #expect(report.neverFits.isEmpty)
        let utilization: Double = 5210.0 / (150.0 * 48.0)
        #expect(abs(report.utilization - utilization) < 1e-12)
        // Waits 0 ×6, 90, 80: mean 170/8; nearest-rank p50 = 4th of 8 = 0, p95 and p99 = 8th = 90.
        let meanWait: Double = 170.0 / 8.0
        #expect(report.wait.mean == meanWait)
        #expect(report.wait.p50 == 0)
        #expect(report.wait.p95 == 90)
        #expect(report.wait.p99 == 90)
        #expect(report.waitBySize["5-8"]?.jobs == 7)
        #expect(report.waitBySize["1"]?.p50 == 80)
        // Turnaround: 6 × 100 + 140 + 90 over 8.
        let turnaround: Double = (600.0 + 140.0 + 90.0) / 8.0
        #expect(report.meanTurnaround == turnaround)
        // Bounded slowdown: 1 ×6, 140/50, 90/10 over 8.
        let slowdown: Double = (6.0 + 2.8 + 9.0) / 8.0
        #expect(abs(report.meanBoundedSlowdown - slowdown) < 1e-12)
        #expect(report.accounts.map(\.name) == ["etf", "ivi"])
        let etfHours: Double = (8.0 * 50.0 + 10.0) / 3600.0
        let iviHours: Double = 4800.0 / 3600.0
        #expect(report.accounts[0].gpuHours == etfHours)
        #expect(report.accounts[0].meanWait == 85)
        #expect(report.accounts[1].gpuHours == iviHours)
        #expect(report.accounts[1].meanWait == 0)
    }
}

/// Resizing one node type for a sweep, the rest kept.
@Suite struct SweepScalingTests {
    @Test func aTypeIsResizedAndTheRestKept() throws {
        let today = try platform()
        let fewer = try #require(today.withCount(of: "dgx-h200", 4))
        #expect(fewer.nodes.map(\.name) == ["dgx01", "dgx02", "dgx03", "dgx04"])
        #expect(fewer.partitions.allSatisfy { Set($0.nodes).isSubset(of: Set(fewer.nodes.map(\.name))) })
        let more = try #require(today.withCount(of: "dgx-h200", 40))
        #expect(more.nodes.count == 40)
        #expect(more.nodes.last?.name == "dgx-h200-0040")
        #expect(ClusterState(spec: more).freeShapes().totalGPUs == 320)
        #expect(more.partitions.allSatisfy { $0.nodes.count == 40 })
        #expect(today.withCount(of: "dgx-h300", 4) == nil)
    }

    @Test func racksOfAnNVLinkDomainTypeGrowInWholeRacks() throws {
        let gb = try ClusterSpec.load(file: repoFile("scenarios/gb200-nvl72-x4.yaml"))
        let type = try #require(gb.nodes.first?.type)
        let bigger = try #require(gb.withCount(of: type, 4 * 18 + 36))
        let racks = Dictionary(grouping: bigger.nodes.compactMap(\.nvlinkDomain), by: { $0 }).mapValues(\.count)
        #expect(racks.count == 6)
        #expect(racks.values.allSatisfy { $0 == 18 })
        #expect(ClusterState(spec: bigger).invariantViolations().isEmpty)
    }
}
