import Foundation
import Testing

@testable import Scheduler

/// The queue policies (fifo, EASY backfill, multifactor fair share), account limits, reservations and node
/// failures, on schedules worked out by hand on the platform's 6 × DGX H200 (48 GPUs).
@Suite struct QueuePolicyTests {
    func job(_ id: Int64, at t: Int64, gpus: Int, runs: Int64, limit: Int64? = nil, account: String = "ivi")
        -> SimulatedJob
    {
        SimulatedJob(
            id: id, submit: t, duration: runs, timeLimit: limit ?? runs, request: ResourceRequest(gpus: gpus),
            account: account)
    }

    /// The platform with jobs of these GPU counts placed and committed in order, and the jobs (ids from
    /// 100,000, allocations).
    func busyPlatform(_ sizes: [Int]) throws -> (ClusterState, [(Int64, Allocation)]) {
        var state = ClusterState(spec: try platform())
        var running: [(Int64, Allocation)] = []
        for gpus in sizes {
            let d = try #require(try? state.place(ResourceRequest(gpus: gpus)).get(), "no room for \(gpus) GPUs")
            try state.commit(d.allocation)
            running.append((Int64(running.count + 100_000), d.allocation))
        }
        return (state, running)
    }

    func starts(_ run: Simulator.Run) -> [Int64: Int64] {
        Dictionary(uniqueKeysWithValues: run.outcomes.compactMap { o in o.start.map { (o.id, $0) } })
    }

    /// Five whole nodes busy until 100 and half of the sixth until 200; A wants all 48 GPUs; B (2 GPUs,
    /// ends by 200) and C (2 GPUs, runs to 303) arrive behind it.
    var backfillTrace: [SimulatedJob] {
        (1...5).map { job($0, at: 0, gpus: 8, runs: 100) } + [
            job(6, at: 0, gpus: 4, runs: 200),
            job(7, at: 1, gpus: 48, runs: 100),  // A
            job(8, at: 2, gpus: 2, runs: 150),  // B: ends at 152, before A's reserved start
            job(9, at: 3, gpus: 2, runs: 300),  // C: would hold half of node 6 past 200
        ]
    }

    @Test func fifoLetsSmallJobsDelayTheBigOne() throws {
        let run = try Simulator.run(
            spec: try platform(), jobs: backfillTrace, options: .init(queue: .fifo, checkInvariants: true))
        #expect(run.invariantViolations.isEmpty, "\(run.invariantViolations)")
        let s = starts(run)
        // B and C start at once; A waits for C's end at 3 + 300.
        #expect(s[8] == 2)
        #expect(s[9] == 3)
        #expect(s[7] == 303)
    }

    @Test func easyBackfillStartsOnlyWhatDoesNotDelayTheReservedJob() throws {
        let run = try Simulator.run(
            spec: try platform(), jobs: backfillTrace, options: .init(queue: .backfill, checkInvariants: true))
        #expect(run.invariantViolations.isEmpty, "\(run.invariantViolations)")
        let s = starts(run)
        // A is reserved for 200 (when job 6 ends); B ends by then and is backfilled; C would delay A and waits
        // until A has run (200 + 100).
        #expect(s[7] == 200)
        #expect(s[8] == 2)
        #expect(s[9] == 300)
        #expect(run.work.backfilled == 1)
    }

    /// Issue 29's ten jobs (time limits twice the runs): H's reservation (16 GPUs) follows the jobs that end
    /// early. Kept from its first making (6000, by X's limit), it let W and V in behind H, and H started at
    /// 4900; worked out afresh at each end, as EASY does, H starts at 4000, when Z ends.
    @Test func theReservationIsWorkedOutAfreshWhenResourcesFreeUp() throws {
        let jobs = [
            job(1, at: 0, gpus: 8, runs: 3000, limit: 6000),  // X
            job(2, at: 0, gpus: 8, runs: 2500, limit: 5000),  // Y
            job(3, at: 0, gpus: 8, runs: 100_000, limit: 200_000),  // L1…L4
            job(4, at: 0, gpus: 8, runs: 100_000, limit: 200_000),
            job(5, at: 0, gpus: 8, runs: 100_000, limit: 200_000),
            job(6, at: 0, gpus: 8, runs: 100_000, limit: 200_000),
            job(7, at: 1, gpus: 16, runs: 10_000, limit: 20_000),  // H
            job(8, at: 2, gpus: 8, runs: 1500, limit: 3000),  // Z
            job(9, at: 3, gpus: 8, runs: 1350, limit: 2700),  // W
            job(10, at: 4, gpus: 8, runs: 900, limit: 1800),  // V
        ]
        for indexed in [true, false] {
            var options = Simulator.Options(queue: .backfill, checkInvariants: true)
            options.indexedQueue = indexed
            let run = try Simulator.run(spec: try platform(), jobs: jobs, options: options)
            #expect(run.invariantViolations.isEmpty, "\(run.invariantViolations)")
            let s = starts(run)
            // Y ends at 2500: Z (by 5500) is backfilled. X ends at 3000: H is reserved for 5500 (Z's limit); V
            // (by 4800) is backfilled, W (by 5700) would delay H. V ends at 3900, Z at 4000: H starts; W after.
            #expect(s[8] == 2500, "indexed: \(indexed)")
            #expect(s[10] == 3000, "indexed: \(indexed)")
            #expect(s[7] == 4000, "indexed: \(indexed)")
            #expect(s[9].map { $0 >= 4000 } == true)
        }
    }

    @Test func aHeldJobIsToldWhichReservationItWouldDelay() throws {
        var state = ClusterState(spec: try platform())
        var book = QueueBook(spec: state.spec, policy: .backfill, now: 0)
        var id: Int64 = 100
        for gpus in [8, 8, 8, 8, 8, 4] {
            guard case let .success(d) = state.place(ResourceRequest(gpus: gpus)) else {
                Issue.record("no room"); return
            }
            try state.commit(d.allocation)
            id += 1
            book.started(id: id, account: "ivi", allocation: d.allocation, end: gpus == 8 ? 100 : 200, at: 0)
        }
        let queue: [QueuePass.Candidate] = [
            .init(id: 1, request: ResourceRequest(gpus: 48), account: "ivi", submit: 1, timeLimit: 100),
            .init(id: 2, request: ResourceRequest(gpus: 2), account: "etf", submit: 2, timeLimit: 150),
            .init(id: 3, request: ResourceRequest(gpus: 2), account: "etf", submit: 3, timeLimit: 300),
        ]
        var work = QueuePass.Counters()
        var started: [Int64] = []
        var waits: [Int64: QueuePass.Wait] = [:]
        QueuePass.run(
            on: &state, book: &book, queue: queue, now: 3, work: &work,
            started: { c, _ in
                started.append(c.id)
                return true
            }, waiting: { c, w in waits[c.id] = w })
        #expect(started == [2])
        #expect(book.reservedStart?.job == 1)
        #expect(book.reservedStart?.at == 200)
        guard case .reserved(at: 200, _) = waits[1] else { Issue.record("\(String(describing: waits[1]))"); return }
        #expect(waits[3] == .held(by: 1, at: 200))
        let words = waits[3]?.reason { "t=\($0)" } ?? ""
        #expect(words.contains("would delay job 1, reserved to start at t=200"))
        #expect(work.plans == 1)
        #expect(work.backfilled == 1)
    }

    @Test func backfillNeverDelaysAReservationOnRandomWorkloads() throws {
        // The simulator's invariant check compares every reserved job's start with its first reservation.
        for seed in [3, 11, 42] as [UInt64] {
            var rng = SeededRandom(seed: seed)
            let sizes = [1, 1, 1, 2, 4, 8, 16, 24]
            let jobs = (1...700).map { i -> SimulatedJob in
                let limit = Int64(60 + rng.next() % 7200)
                return SimulatedJob(
                    id: Int64(i), submit: Int64(i) * 40, duration: max(Int64(Double(limit) * rng.unit()), 1),
                    timeLimit: limit, request: ResourceRequest(gpus: sizes[Int(rng.next() % 8)]), account: "ivi")
            }
            let run = try Simulator.run(
                spec: try platform(), jobs: jobs, options: .init(queue: .backfill, checkInvariants: true))
            #expect(run.invariantViolations.isEmpty, "\(run.invariantViolations.prefix(3))")
            #expect(run.work.backfilled > 0)
            #expect(run.work.plans > 0)
            #expect(run.outcomes.allSatisfy { $0.end != nil })
        }
    }

    @Test func fairShareConvergesToTheShares() throws {
        // ivi has share 40 and ipb 15 of the platform's 100: under contention they should use GPUs 40 : 15.
        // Runs of 30 to 90 minutes, so GPUs free one at a time rather than all at once each hour.
        var jobs: [SimulatedJob] = []
        for i in 0..<1800 {
            let runs = Int64(1800 + (i * 7919) % 3600)
            jobs.append(job(Int64(2 * i + 1), at: 0, gpus: 1, runs: runs, account: "ivi"))
            jobs.append(job(Int64(2 * i + 2), at: 0, gpus: 1, runs: runs, account: "ipb"))
        }
        func ratio(_ policy: QueuePolicyName) throws -> Double {
            let run = try Simulator.run(
                spec: try platform(), jobs: jobs, options: .init(queue: policy, checkInvariants: true))
            #expect(run.invariantViolations.isEmpty)
            // Both accounts have work waiting for the first 40 hours; count the GPU-hours each got by then.
            var used: [String: Double] = [:]
            for o in run.outcomes {
                if let s = o.start, let e = o.end, s < 40 * 3600 {
                    used[o.account, default: 0] += Double(min(e, 40 * 3600) - s) / 3600
                }
            }
            return (used["ivi"] ?? 0) / max(used["ipb"] ?? 0, 1)
        }
        let fair = try ratio(.fairshare)
        #expect(abs(fair - 40.0 / 15) < 0.1 * 40 / 15, "ivi : ipb = \(fair)")
        // Submission order alternates the accounts, so FIFO gives them the same.
        let fifo = try ratio(.fifo)
        #expect(abs(fifo - 1) < 0.05, "fifo ratio \(fifo)")
    }

    @Test func fairShareUsageDecaysWithItsHalfLife() {
        var fs = FairShare(accounts: [], halfLife: .hours(1), now: 0)
        let a = fs.id(of: "a")
        _ = fs.id(of: "b")
        fs.advance(to: 3600, gpusInUse: [8, 0])
        // ∫₀^h 8·2^(−(h−s)/h) ds = 8h/(2 ln 2)
        let expected = 8.0 * 3600 / (2 * M_LN2)
        #expect(abs(fs.decayedUsage("a") - expected) < 1e-6)
        fs.advance(to: 7200, gpusInUse: [0, 0])
        #expect(abs(fs.decayedUsage("a") - expected / 2) < 1e-6)
        // a holds all the usage with half the shares: 2^(−1/0.5) = ¼; b used nothing: 1.
        #expect(abs(fs.factor(id: a) - 0.25) < 1e-12)
        #expect(fs.factor("b") == 1)
    }

    @Test func priorityFactorsAreWeighedAsDocumented() throws {
        let spec = try platform()
        // Waited 3.5 of maxAge's 7 days: age 1000 × ½; 12 of 48 GPUs: size 1000 × ¼; an unused account:
        // fair share 10000 × 1; no partition tiers: 0; nice 30.
        let p = Priority.of(
            submit: 0, gpus: 12, partition: nil, nice: 30, fairShareFactor: 1, now: 302_400, spec: spec, totalGPUs: 48)
        #expect(p.age == 500)
        #expect(p.size == 250)
        #expect(p.fairShare == 10000)
        #expect(p.partition == 0)
        #expect(p.nice == 30)
        #expect(p.total == 10720)
    }

    @Test func accountLimitsHoldAndAreNamedAsTheReason() throws {
        var spec = try platform()
        let ivi = spec.accounts.firstIndex { $0.name == "ivi" }!
        spec.accounts[ivi].limits = AccountLimits(gpus: 16, gpuHours: 40, period: .days(30), storage: .terabytes(10))
        var state = ClusterState(spec: spec)
        var book = QueueBook(spec: spec, policy: .fifo, now: 0)
        let queue: [QueuePass.Candidate] = [
            .init(id: 1, request: ResourceRequest(gpus: 8), account: "ivi", submit: 0, timeLimit: 3600),
            .init(id: 2, request: ResourceRequest(gpus: 8), account: "ivi", submit: 1, timeLimit: 3600),
            .init(id: 3, request: ResourceRequest(gpus: 1), account: "ivi", submit: 2, timeLimit: 60),  // 17 GPUs
            .init(id: 4, request: ResourceRequest(gpus: 8), account: "etf", submit: 3, timeLimit: 3600),  // no limits
        ]
        var started: [Int64] = []
        var waits: [Int64: String] = [:]
        var work = QueuePass.Counters()
        QueuePass.run(
            on: &state, book: &book, queue: queue, now: 0, work: &work,
            started: { c, _ in
                started.append(c.id)
                return true
            }, waiting: { c, w in waits[c.id] = w.reason { "\($0)" } })
        #expect(started == [1, 2, 4])
        #expect(waits[3] == "account ivi has 16 GPUs in use and may hold 16 (this job asks for 1)")
        // GPU-hours: 16 were used in the first hour; 40 are allowed; 8 GPUs × 4 h more would pass it.
        book.ended(id: 1, at: 3600)
        book.ended(id: 2, at: 3600)
        let big: [QueuePass.Candidate] = [
            .init(id: 5, request: ResourceRequest(gpus: 8), account: "ivi", submit: 4, timeLimit: 4 * 3600)
        ]
        var later = state
        QueuePass.run(
            on: &later, book: &book, queue: big, now: 3600, work: &work, started: { _, _ in true },
            waiting: { c, w in waits[c.id] = w.reason { "\($0)" } })
        #expect(
            waits[5]?.contains("account ivi has used 16 of its 40 GPU-hours this period") == true, "\(waits[5] ?? "")")
        #expect(waits[5]?.contains("this job 32") == true)
        // Storage: 10 TB claimable; 12 TB refused in words.
        let disk: [QueuePass.Candidate] = [
            .init(
                id: 6, request: ResourceRequest(gpus: 1, storage: .terabytes(12)), account: "ivi", submit: 5,
                timeLimit: 60)
        ]
        QueuePass.run(
            on: &later, book: &book, queue: disk, now: 3600, work: &work, started: { _, _ in true },
            waiting: { c, w in waits[c.id] = w.reason { "\($0)" } })
        #expect(waits[6]?.hasPrefix("account ivi claims 0") == true, "\(waits[6] ?? "")")
        #expect(waits[6]?.contains("may claim 10 TB") == true, "\(waits[6] ?? "")")
    }

    @Test func aGPULimitHoldsThroughAWholeSimulation() throws {
        var spec = try platform()
        let ivi = spec.accounts.firstIndex { $0.name == "ivi" }!
        spec.accounts[ivi].limits = AccountLimits(gpus: 12)
        let sizes = [1, 2, 4]
        let jobs = (1...300).map { (i: Int) -> SimulatedJob in
            let runs = Int64(100 + (i % 7) * 50)
            let account = i % 2 == 0 ? "ivi" : "etf"
            return job(Int64(i), at: Int64(i), gpus: sizes[i % 3], runs: runs, account: account)
        }
        let run = try Simulator.run(spec: spec, jobs: jobs, options: .init(queue: .fairshare, checkInvariants: true))
        #expect(run.invariantViolations.isEmpty)
        // At every start, ivi's GPUs in use (its runs covering that moment) stay within 12.
        let ivis = run.outcomes.filter { $0.account == "ivi" }
        var peak = 0
        for o in ivis {
            let t = o.start!
            var inUse = 0
            for other in ivis where other.start! <= t && other.end! > t { inUse += other.gpus }
            peak = max(peak, inUse)
        }
        #expect(peak == 12)
        #expect(run.outcomes.allSatisfy { $0.end != nil })
    }

    @Test func noJobRunsIntoAMaintenanceWindow() throws {
        // All six nodes go down for maintenance from 100 to 200: a job whose time limit would reach into the
        // window waits until it is over; one that ends by 100 runs at once.
        let events = SimulationEvents(maintenance: [.init(nodes: ["all"], start: 100, duration: 100)])
        let jobs = [job(1, at: 0, gpus: 8, runs: 40, limit: 150), job(2, at: 0, gpus: 8, runs: 50, limit: 100)]
        let run = try Simulator.run(
            spec: try platform(), jobs: jobs, options: .init(queue: .fifo, events: events, checkInvariants: true))
        #expect(run.invariantViolations.isEmpty, "\(run.invariantViolations)")
        let s = starts(run)
        #expect(s[1] == 200)
        #expect(s[2] == 0)
        #expect(run.unavailableGPUSeconds == 48 * 100)
    }

    @Test func repeatedWindowsOnSomeNodesAreNeverOverrun() throws {
        let events = SimulationEvents(maintenance: [
            .init(nodes: ["dgx05", "dgx06"], start: 3600, duration: 4 * 3600, every: 24 * 3600, reason: "firmware")
        ])
        var rng = SeededRandom(seed: 9)
        let jobs = (1...500).map { i -> SimulatedJob in
            let limit = Int64(600 + rng.next() % 20_000)
            return job(
                Int64(i), at: Int64(i) * 200, gpus: [1, 2, 4, 8][Int(rng.next() % 4)], runs: limit / 2, limit: limit)
        }
        for policy in QueuePolicyName.allCases {
            let run = try Simulator.run(
                spec: try platform(), jobs: jobs, options: .init(queue: policy, events: events, checkInvariants: true))
            // The invariants include: no node of a window holds a job when the window begins or ends.
            #expect(run.invariantViolations.isEmpty, "\(policy): \(run.invariantViolations.prefix(3))")
            #expect(run.unavailableGPUSeconds > 0)
        }
    }

    @Test func aFailedNodesJobIsRequeuedAndRunsAgainAfterRepair() throws {
        // One DGX: the 8-GPU job starts at 0, its node fails at 50 (the run is lost), is repaired at 80, and
        // the job runs again from the start: 80 to 180.
        let one = try platform().withCount(of: "dgx-h200", 1)!
        let events = SimulationEvents(failures: [.init(node: one.nodes[0].name, at: 50, repair: 30)])
        let run = try Simulator.run(
            spec: one, jobs: [job(1, at: 0, gpus: 8, runs: 100)], options: .init(events: events, checkInvariants: true))
        #expect(run.invariantViolations.isEmpty, "\(run.invariantViolations)")
        let o = run.outcomes[0]
        #expect(o.start == 80)
        #expect(o.end == 180)
        #expect(o.interruptions == 1)
        #expect(run.nodeFailures == 1)
        #expect(run.lostGPUSeconds == 400)
        #expect(run.unavailableGPUSeconds == 240)
        #expect(run.busyGPUSeconds == 400 + 800)
    }

    @Test func randomFailuresAreSeededAndLoseNoJob() throws {
        let model = SimulationEvents(failureModel: .init(mtbf: 3 * 86_400, repair: 6 * 3600, seed: 5))
        var rng = SeededRandom(seed: 2)
        let jobs = (1...600).map { i in
            job(
                Int64(i), at: Int64(i) * 300, gpus: [1, 2, 4, 8][Int(rng.next() % 4)],
                runs: Int64(300 + rng.next() % 7200), limit: 8000)
        }
        let a = try Simulator.run(
            spec: try platform(), jobs: jobs, options: .init(queue: .backfill, events: model, checkInvariants: true))
        let b = try Simulator.run(
            spec: try platform(), jobs: jobs, options: .init(queue: .backfill, events: model, checkInvariants: true))
        #expect(a.invariantViolations.isEmpty, "\(a.invariantViolations.prefix(3))")
        #expect(a.nodeFailures > 0)
        #expect(a.lostGPUSeconds > 0)
        #expect(a.outcomes == b.outcomes)
        #expect(a.outcomes.allSatisfy { $0.end != nil })
    }

    @Test func theIndexedQueueDecidesExactlyAsTheJobByJobPass() throws {
        // Full passes visit the simulator's queue bucket by bucket; offering every job in order must give the
        // same schedule, under every policy, with limits, windows and failures.
        var spec = try platform()
        let etf = spec.accounts.firstIndex { $0.name == "etf" }!
        spec.accounts[etf].limits = AccountLimits(gpus: 10)
        var rng = SeededRandom(seed: 21)
        let sizes = [1, 1, 2, 2, 4, 8, 16]
        let accounts = ["ivi", "etf", "ipb"]
        let jobs = (1...300).map { i -> SimulatedJob in
            let limit = Int64(300 + rng.next() % 9000)
            let gpus = sizes[Int(rng.next() % UInt64(sizes.count))]
            let account = accounts[Int(rng.next() % 3)]
            return job(
                Int64(i), at: Int64(i) * 45, gpus: gpus, runs: max(limit * Int64(rng.next() % 100) / 100, 1),
                limit: limit, account: account)
        }
        let events = SimulationEvents(
            maintenance: [.init(nodes: ["dgx02"], start: 7200, duration: 3600, every: 40_000)],
            failureModel: .init(mtbf: 4 * 86_400, repair: 3600, seed: 3))
        for policy in QueuePolicyName.allCases {
            for e in [SimulationEvents(), events] {
                let (a, b) = try sameScheduleBothWays(\.indexedQueue, spec: spec, jobs: jobs, policy: policy, events: e)
                #expect(a.work.started == b.work.started)
                // The index tries fewer placements, never more; under backfill it passes over runs of jobs
                // that would delay the reservation (and offers them after all when something starts first).
                #expect(a.work.placements <= b.work.placements)
                // With windows in force it passes over only jobs with the very limit of one that delayed it (these
                // limits are drawn at random: the next test gives them one limit).
                if policy.backfills && e.isEmpty {
                    #expect(a.work.delayed > 0, "\(policy)")
                    #expect(a.work.offered < b.work.offered, "\(policy)")
                }
                // With windows in force, the jobs of a bucket refused with a limit as long or longer are passed
                // over in runs (under strict-fifo a pass ends at the first job refused).
                if !e.isEmpty && !policy.holdsLine { #expect(a.work.refusedAlike > 0, "\(policy): \(a.work)") }
            }
        }
    }

    @Test func withAWindowInForceAPassJumpsOverJobsWithTheLimitOfOneThatDelayed() throws {
        // Two limits only (as a trace without limits gets its partition's maximum), windows in force: the
        // index passes over the jobs of a bucket with the limit of one that would delay the reservation, and
        // the schedule is the one of offering every job in order.
        let spec = try platform()
        var rng = SeededRandom(seed: 33)
        let sizes = [1, 2, 4, 8, 16]
        let jobs = (1...400).map { i -> SimulatedJob in
            let limit: Int64 = rng.next() % 4 == 0 ? 3600 : 14_400
            let gpus = sizes[Int(rng.next() % UInt64(sizes.count))]
            return job(
                Int64(i), at: Int64(i) * 30, gpus: gpus, runs: max(limit * Int64(rng.next() % 100) / 100, 1),
                limit: limit)
        }
        let windows = SimulationEvents(maintenance: [
            .init(nodes: ["dgx05", "dgx06"], start: 3600, duration: 7200, every: 30_000)
        ])
        for policy in [QueuePolicyName.backfill, .fairshare] {
            let (a, b) = try sameScheduleBothWays(
                \.indexedQueue, spec: spec, jobs: jobs, policy: policy, events: windows)
            #expect(a.work.delayed > 0, "\(policy): \(a.work) / \(b.work)")
            #expect(a.work.offered < b.work.offered, "\(policy): \(a.work) / \(b.work)")
            #expect(a.work.placements <= b.work.placements, "\(policy)")
        }
    }

    @Test func deferredPlansDecideExactlyAsPlansWorkedOutWhenMade() throws {
        // A backfill plan's search is put off until a pass reads its start or admits a job against it, and then
        // runs with the jobs that ended since taken back for the while. The schedule must be the one of plans
        // worked out when made, under both policies that reserve, with limits, failures and windows (with a
        // window booked or a node down, plans are worked out when made); most searches are never run.
        var spec = try platform()
        let etf = spec.accounts.firstIndex { $0.name == "etf" }!
        spec.accounts[etf].limits = AccountLimits(gpus: 12)
        var rng = SeededRandom(seed: 33)
        let sizes = [1, 1, 2, 2, 4, 8, 8, 16]
        let accounts = ["ivi", "etf", "ipb", "pmf-ns"]
        let jobs = (1...1500).map { i -> SimulatedJob in
            let limit = Int64(600 + rng.next() % 9000)
            let gpus = sizes[Int(rng.next() % UInt64(sizes.count))]
            let account = accounts[Int(rng.next() % 4)]
            return job(
                Int64(i), at: Int64(i) * 60, gpus: gpus, runs: max(limit * Int64(rng.next() % 100) / 100, 1),
                limit: limit, account: account)
        }
        let failures = SimulationEvents(failureModel: .init(mtbf: 3 * 86_400, repair: 7200, seed: 8))
        let windows = SimulationEvents(maintenance: [
            .init(nodes: ["dgx03"], start: 20_000, duration: 7200, every: 50_000)
        ])
        for policy in [QueuePolicyName.backfill, .fairshare] {
            for e in [SimulationEvents(), failures, windows] {
                let (a, b) = try sameScheduleBothWays(\.defersPlans, spec: spec, jobs: jobs, policy: policy, events: e)
                #expect(a.work.plans == b.work.plans, "\(policy): \(a.work.plans) / \(b.work.plans)")
                #expect(a.work.plans > 100, "\(policy): \(a.work.plans) / \(b.work.plans)")
                if e.maintenance.isEmpty {
                    #expect(a.work.planPlacements <= b.work.planPlacements * 9 / 10, "\(policy): \(a.work) / \(b.work)")
                } else {
                    // While a window is booked (here, all along) every plan is worked out when made.
                    #expect(a.work.planPlacements == b.work.planPlacements, "\(policy): \(a.work) / \(b.work)")
                }
            }
        }
    }

    @Test func aPassOverThousandsOfWaitingJobsTriesFewPlacements() throws {
        // The cluster is full but for one GPU; 5,000 jobs of 2 to 16 GPUs wait. Whatever the policy, the pass
        // compares counts (no placement for a job that cannot fit by count) and makes at most one reservation.
        let (state, running) = try busyPlatform([8, 8, 8, 8, 8, 4, 2, 1])
        let sizes = [2, 4, 8, 16]
        let queue = (0..<5000).map { i in
            QueuePass.Candidate(
                id: Int64(i), request: ResourceRequest(gpus: sizes[i % 4]), account: ["ivi", "etf"][i % 2],
                submit: Int64(i), timeLimit: 3600)
        }
        for policy in QueuePolicyName.allCases {
            var s = state
            var book = QueueBook(spec: s.spec, policy: policy, now: 0)
            for (id, a) in running { book.started(id: id, account: "ivi", allocation: a, end: 7200, at: 0) }
            var work = QueuePass.Counters()
            QueuePass.run(
                on: &s, book: &book, queue: queue, now: 10, work: &work, started: { _, _ in true }, waiting: { _, _ in }
            )
            #expect(work.started == 0, "\(policy): \(work)")
            #expect(work.placements == 0, "\(policy): \(work)")
            #expect(work.plans <= 1, "\(policy): \(work)")
            // The reservation tries a placement at each distinct end time at most (here, one: 7200).
            #expect(work.planPlacements <= 1, "\(policy): \(work)")
        }
    }

    @Test func aRequestRefusedInAPassIsPlacedOnceAndAgainInTheNextPass() throws {
        // Every node has one GPU free (six in all): a 2-GPU job fits by count but cannot be placed. Two accounts
        // wait with that request (two buckets). The pass places it once; the other account's job meets the same
        // refusal without a placement. Once a node empties, the next pass places the request again (the
        // refusal was this pass's only) and both start.
        let (busy, running) = try busyPlatform(Array(repeating: 7, count: 6))
        var state = busy
        #expect(state.totalFreeGPUs == 6)
        var book = QueueBook(spec: state.spec, policy: .fifo, now: 0)
        for (id, a) in running { book.started(id: id, account: "ipb", allocation: a, end: 7200, at: 0) }
        var queue = WaitQueue()
        for (id, account) in [(1, "ivi"), (2, "etf")] {
            queue.add(
                QueuePass.Candidate(
                    id: Int64(id), request: ResourceRequest(gpus: 2), account: account, submit: Int64(id),
                    timeLimit: 3600))
        }
        var work = QueuePass.Counters()
        var waited: [Int64: PlacementRefusal?] = [:]
        QueuePass.run(
            on: &state, book: &book, queue: &queue, now: 10, work: &work, started: { _, _ in true },
            waiting: { c, w in waited[c.id] = w.refusal })
        #expect(work.placements == 1, "\(work)")
        #expect(work.started == 0, "\(work)")
        #expect(Set(waited.keys) == [1, 2])
        #expect(waited[1]??.kind == .notNow)
        #expect(waited[2]??.kind == .notNow)

        _ = book.ended(id: running[0].0, at: 20)
        try state.release(running[0].1)
        var started: [Int64] = []
        QueuePass.run(
            on: &state, book: &book, queue: &queue, now: 20, work: &work,
            started: { c, _ in
                started.append(c.id); return true
            })
        #expect(started == [1, 2])
        #expect(work.placements == 3, "\(work)")
        #expect(queue.isEmpty)
    }

    @Test func aPassJumpsOverTheJobsThatWouldDelayTheReservation() throws {
        // dgx01–dgx04 are busy for a day; the fifth node busy until 7200 and dgx06 half busy until then: a
        // 16-GPU job is reserved those two nodes at 7200. Behind it wait 5,000 one-GPU jobs of one account.
        // Each fits on dgx06's four free GPUs now, but runs past 7200 on GPUs the reservation needs, but for
        // every 1,000th (jobs 1001, 2001, …, 5001), whose time limit ends by then. The first four of those
        // start (dgx06 is then full); the pass offers a handful of jobs, not thousands.
        var state = ClusterState(spec: try platform())
        var running: [(Int64, Allocation, Int64)] = []
        for (gpus, end) in [(8, 86_400), (8, 86_400), (8, 86_400), (8, 86_400), (8, 7200), (4, 7200)] {
            guard case let .success(d) = state.place(ResourceRequest(gpus: gpus)) else {
                Issue.record("no room"); return
            }
            try state.commit(d.allocation)
            running.append((Int64(running.count + 100_000), d.allocation, Int64(end)))
        }
        #expect(running.last!.1.nodes.map { state.spec.nodes[$0.node].name } == ["dgx06"])
        let head = QueuePass.Candidate(
            id: 1, request: ResourceRequest(gpus: 16), account: "etf", submit: 1, timeLimit: 3600)
        let behind = (2...5001).map { (id: Int) -> QueuePass.Candidate in
            let limit: Int64 = (id - 1) % 1000 == 0 ? 600 : 20_000
            return QueuePass.Candidate(
                id: Int64(id), request: ResourceRequest(gpus: 1), account: "ivi", submit: Int64(id), timeLimit: limit)
        }
        for policy in [QueuePolicyName.backfill, .fairshare] {
            var book = QueueBook(spec: state.spec, policy: policy, now: 0)
            for (id, a, end) in running { book.started(id: id, account: "ipb", allocation: a, end: end, at: 0) }
            let plainBook = book
            let (started, work, queue) = startsBucketByBucket([head] + behind, on: state, book: &book, now: 10)
            #expect(started == [1001, 2001, 3001, 4001], "\(policy)")
            #expect(book.reservedStart?.job == 1, "\(policy)")
            #expect(book.reservedStart?.at == 7200, "\(policy)")
            // The head, then per short job the long one before it (it would delay the reservation) and itself.
            #expect(work.offered == 1 + 4 * 2, "\(policy): \(work)")
            // The 998 long jobs between each pair of those offered are passed over in a run.
            #expect(work.delayed == 4 * 998, "\(policy): \(work)")
            #expect(queue.count == 5001 - 4)

            // Job by job, the same jobs start.
            let (plainStarted, plainWork) = startsJobByJob([head] + behind, on: state, book: plainBook, now: 10)
            #expect(plainStarted == started, "\(policy)")
            #expect(plainWork.offered > 4000)
        }
    }

    @Test func withAWindowInForceAPassSkipsTheJobsRefusedForTheirLimit() throws {
        // Five nodes are busy for a day; the sixth is free but goes into a maintenance window in an hour. Of
        // 5,000 one-GPU jobs of one account, those with a two-hour limit would run into the window and fit
        // nowhere else; every 1,000th has a ten-minute limit and fits now. Those five start; the pass offers
        // ten jobs (each refused one is followed by the run of its like, passed over).
        let (state, running) = try busyPlatform(Array(repeating: 8, count: 5))
        let free = try #require(state.spec.nodes.indices.first { state.freeGPUs(node: $0).count == 8 })
        let window = Reservation(name: "maint", nodes: [free], start: 3600, end: 7200, reason: "firmware")
        let jobs = (1...5000).map { (id: Int) -> QueuePass.Candidate in
            let limit: Int64 = id % 1000 == 0 ? 600 : 7200
            return QueuePass.Candidate(
                id: Int64(id), request: ResourceRequest(gpus: 1), account: "ivi", submit: Int64(id), timeLimit: limit)
        }
        for policy in [QueuePolicyName.fifo, .backfill] {
            func book() -> QueueBook {
                var b = QueueBook(spec: state.spec, policy: policy, now: 0, reservations: [window])
                for (id, a) in running { b.started(id: id, account: "ipb", allocation: a, end: 86_400, at: 0) }
                return b
            }
            var b = book()
            let (started, work, _) = startsBucketByBucket(jobs, on: state, book: &b, now: 10)
            #expect(started == [1000, 2000, 3000, 4000, 5000], "\(policy)")
            #expect(work.offered == 10, "\(policy): \(work)")
            #expect(work.refusedAlike == 5 * 998, "\(policy): \(work)")

            // Job by job, the same jobs start.
            let (plainStarted, plainWork) = startsJobByJob(jobs, on: state, book: book(), now: 10)
            #expect(plainStarted == started, "\(policy)")
            #expect(plainWork.offered == 5000)
        }
    }

    @Test func aWaitQueueListsExactlyTheBucketsWithJobsWaiting() {
        // Jobs of three sizes and four accounts (twelve buckets) come and go in a seeded order, mostly coming for
        // 1,000 steps and mostly going after, until none waits; after every change the list a pass visits holds
        // each bucket with jobs waiting once, and no other.
        var queue = WaitQueue()
        var rng = SeededRandom(seed: 7)
        var waiting: [(id: Int64, submit: Int64, bucket: Int)] = []
        let accounts = ["ivi", "etf", "ipb", "pmf-ns"]
        var step = 0
        var emptied = 0
        while step < 1000 || !waiting.isEmpty {
            defer { step += 1 }
            let coming = step < 1000 ? rng.next() % 3 != 0 : rng.next() % 3 == 0
            if waiting.isEmpty || coming {
                let c = QueuePass.Candidate(
                    id: Int64(step), request: ResourceRequest(gpus: [1, 2, 8][Int(rng.next() % 3)]),
                    account: accounts[Int(rng.next() % 4)], submit: Int64(step), timeLimit: 3600)
                waiting.append((c.id, c.submit, queue.add(c)))
            } else {
                let j = waiting.remove(at: Int(rng.next() % UInt64(waiting.count)))
                queue.remove(id: j.id, submit: j.submit, bucket: j.bucket)
                if !waiting.contains(where: { $0.bucket == j.bucket }) { emptied += 1 }
            }
            let expected = Set(waiting.map(\.bucket))
            #expect(queue.liveBuckets.count == expected.count, "step \(step)")
            #expect(Set(queue.liveBuckets) == expected, "step \(step)")
            #expect(queue.count == waiting.count)
        }
        #expect(queue.buckets.count == 12)
        #expect(queue.liveBuckets.isEmpty)
        #expect(queue.isEmpty)
        // Buckets left the list many times, not only at the end.
        #expect(emptied > 12, "\(emptied)")
    }

    /// The jobs one complete pass starts over `jobs` kept in a `WaitQueue` (as the simulator keeps them), with
    /// its work and the queue after it.
    func startsBucketByBucket(_ jobs: [QueuePass.Candidate], on state: ClusterState, book: inout QueueBook, now: Int64)
        -> (started: [Int64], work: QueuePass.Counters, queue: WaitQueue)
    {
        var s = state
        var queue = WaitQueue()
        for c in jobs { queue.add(c) }
        var work = QueuePass.Counters()
        var started: [Int64] = []
        QueuePass.run(
            on: &s, book: &book, queue: &queue, now: now, work: &work,
            started: { c, _ in
                started.append(c.id)
                return true
            })
        return (started, work, queue)
    }

    /// The jobs one pass starts offering `jobs` one by one in order (the reference), with its work.
    func startsJobByJob(_ jobs: [QueuePass.Candidate], on state: ClusterState, book: QueueBook, now: Int64)
        -> (started: [Int64], work: QueuePass.Counters)
    {
        var s = state
        var b = book
        var work = QueuePass.Counters()
        var started: [Int64] = []
        QueuePass.run(
            on: &s, book: &b, queue: jobs, now: now, work: &work,
            started: { c, _ in
                started.append(c.id)
                return true
            }, waiting: { _, _ in })
        return (started, work)
    }

    @Test func aReservationBookKnowsItsEndsInOrderThroughChanges() {
        func window(_ name: String, _ start: Int64, _ end: Int64) -> Reservation {
            Reservation(name: name, nodes: [0], start: start, end: end, reason: "test")
        }
        var book = ReservationBook([window("a", 0, 500), window("b", 100, 200), window("c", 50, 900)])
        #expect(book.ends == [200, 500, 900])
        #expect(book.earliestEnd == 200)
        #expect(Array(book.ends(after: 200)) == [500, 900])
        #expect(Array(book.ends(after: 199)) == [200, 500, 900])
        #expect(book.ends(after: 900).isEmpty)
        book.add(window("d", 10, 500))
        #expect(book.ends == [200, 500, 500, 900])
        #expect(book.remove(named: "a")?.end == 500)
        #expect(book.ends == [200, 500, 900])
        book.expire(before: 500)
        #expect(book.reservations.map(\.name) == ["c"])
        #expect(book.ends == [900])
        book.expire(before: 900)
        #expect(book.isEmpty)
        #expect(book.ends.isEmpty)
        #expect(book.earliestEnd == nil)
    }

    @Test func eventsAreReadFromAScenarioAndFromFlags() throws {
        let node = try ConfigNode.parse(
            """
            maintenance:
              - { nodes: "dgx[05-06]", start: 7d, duration: 8h, every: 30d, reason: firmware }
            failures:
              mtbf: 90d
              repair: 12h
              seed: 7
              events:
                - { node: dgx03, at: 2d, repair: 6h }
            """, file: "s.yaml")
        let e = try SimulationEvents(config: node)
        let window = SimulationEvents.Maintenance(
            nodes: ["dgx05", "dgx06"], start: 7 * 86400, duration: 8 * 3600, every: 30 * 86400, reason: "firmware")
        #expect(e.maintenance == [window])
        let model = SimulationEvents.FailureModel(mtbf: 90 * 86400, repair: 12 * 3600, seed: 7)
        #expect(e.failureModel == model)
        let failure = SimulationEvents.Failure(node: "dgx03", at: 2 * 86400, repair: 6 * 3600)
        #expect(e.failures == [failure])
        #expect(
            SimulationEvents.Maintenance(parsing: "dgx[05-06]@7d+8h/30d")
                == e.maintenance[0].with(reason: "maintenance"))
        #expect(SimulationEvents.Maintenance(parsing: "dgx01@1d+8h/4h") == nil)  // repeats before it ends
        #expect(SimulationEvents.FailureModel(parsing: "mtbf=90d,repair=12h,seed=7") == e.failureModel)
        #expect(SimulationEvents.FailureModel(parsing: "repair=12h") == nil)
        let bad = try ConfigNode.parse("maintenance:\n  - { nodes: dgx01, duration: 0s }\n", file: "s.yaml")
        #expect(throws: ConfigError.self) { try SimulationEvents(config: bad) }
        let windows = try e.reservations(on: try platform(), until: 70 * 86400)
        let expectedStarts: [Int64] = [7 * 86400, 37 * 86400, 67 * 86400]
        #expect(windows.map(\.start) == expectedStarts)
        #expect(throws: ConfigError.self) {
            try SimulationEvents(maintenance: [.init(nodes: ["dgx99"], start: 0, duration: 1)]).reservations(
                on: try platform(), until: 10)
        }
    }
}

extension SimulationEvents.Maintenance {
    func with(reason: String) -> Self {
        var m = self
        m.reason = reason
        return m
    }
}
