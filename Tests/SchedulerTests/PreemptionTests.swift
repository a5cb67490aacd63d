import Testing

@testable import Scheduler

/// Preemption by partition tier: jobs of a higher-tier partition requeue running jobs of lower-tier
/// preemptible partitions, whole (a gang gives back every node), choosing the least work lost.
@Suite struct PreemptionTests {
    /// The platform with a `scavenger` partition (tier 0, preemptible) beside `gpu` (tier 1).
    func spec() throws -> ClusterSpec {
        var s = try platform()
        let gpu = s.partitions.firstIndex { $0.name == "gpu" }!
        s.partitions[gpu].priority = 1
        var scavenger = s.partitions[gpu]
        scavenger.name = "scavenger"
        scavenger.isDefault = false
        scavenger.priority = 0
        scavenger.preemptible = true
        s.partitions.append(scavenger)
        return s
    }

    func job(_ id: Int64, at t: Int64, gpus: Int, nodes: Int? = nil, runs: Int64, partition: String) -> SimulatedJob {
        SimulatedJob(
            id: id, submit: t, duration: runs, timeLimit: runs,
            request: ResourceRequest(gpus: gpus, nodes: nodes, partition: partition), account: "ivi")
    }

    @Test func aHigherTierJobRequeuesTheCheapestLowerTierJobs() throws {
        // Six scavenger jobs fill the cluster; the ones started later have lost less work. A 16-GPU job of the
        // gpu partition arrives at 100 and takes the room of the two that started last (at 50 and 60).
        var jobs = (1...4).map { job($0, at: 0, gpus: 8, runs: 1000, partition: "scavenger") }
        jobs.append(job(5, at: 50, gpus: 8, runs: 1000, partition: "scavenger"))
        jobs.append(job(6, at: 60, gpus: 8, runs: 1000, partition: "scavenger"))
        jobs.append(job(7, at: 100, gpus: 16, nodes: 2, runs: 200, partition: "gpu"))
        for policy in QueuePolicyName.allCases {
            let run = try Simulator.run(
                spec: try spec(), jobs: jobs, options: .init(queue: policy, checkInvariants: true))
            #expect(run.invariantViolations.isEmpty, "\(policy): \(run.invariantViolations)")
            let o = Dictionary(uniqueKeysWithValues: run.outcomes.map { ($0.id, $0) })
            #expect(o[7]?.start == 100, "\(policy)")
            #expect(o[7]?.end == 300, "\(policy)")
            #expect(o[5]?.interruptions == 1, "\(policy)")
            #expect(o[6]?.interruptions == 1, "\(policy)")
            #expect((1...4).allSatisfy { o[Int64($0)]?.interruptions == 0 }, "\(policy)")
            // The victims run again from the start once the gpu job is done.
            #expect(o[5]?.start == 300, "\(policy)")
            #expect(o[5]?.end == 1300, "\(policy)")
            #expect(o[6]?.start == 300, "\(policy)")
            #expect(run.preemptedRuns == 2)
            // 2 × 8 GPUs lost 50 and 40 s of work.
            #expect(run.lostGPUSeconds == 8 * 50 + 8 * 40)
        }
    }

    @Test func deferredReservationsDecideExactlyAsWhenWorkedOutWithPreemption() throws {
        // Scavenger jobs are requeued for gpu-partition jobs while a backfill reservation's search is deferred:
        // the victims' ends are taken back for the search like any end, and the schedule is the one of
        // reservations worked out when made.
        // (Jobs end before their time limits, as most do: a reservation whose jobs all run to their limits is
        // worked out at the first end, the earliest its start could come.)
        var rng = SeededRandom(seed: 12)
        let jobs = (1...800).map { i -> SimulatedJob in
            let gpus = [1, 2, 4, 8, 8][Int(rng.next() % 5)]
            let partition = rng.next() % 3 == 0 ? "gpu" : "scavenger"
            var j = job(
                Int64(i), at: Int64(i) * 40, gpus: gpus, runs: Int64(300 + rng.next() % 6000), partition: partition)
            j.timeLimit = j.durationMillis / 1000 * 3
            return j
        }
        for policy in [QueuePolicyName.backfill, .fairshare] {
            let (deferring, eager) = try sameScheduleBothWays(
                \.defersPlans, spec: try spec(), jobs: jobs, policy: policy, events: SimulationEvents())
            #expect(deferring.preemptedRuns > 0, "\(policy)")
            #expect(deferring.preemptedRuns == eager.preemptedRuns, "\(policy)")
            #expect(deferring.work.plans == eager.work.plans, "\(policy)")
            #expect(
                deferring.work.planPlacements < eager.work.planPlacements,
                "\(policy): \(deferring.work) / \(eager.work)")
        }
    }

    @Test func aGangIsPreemptedWholeAndOnlyLowerTierPreemptibleJobsAreVictims() throws {
        var s = try spec()
        // A third partition, tier 0 but not preemptible: its jobs are never victims.
        var batch = s.partitions.first { $0.name == "scavenger" }!
        batch.name = "batch"
        batch.preemptible = false
        s.partitions.append(batch)
        let jobs = [
            job(1, at: 0, gpus: 8, runs: 1000, partition: "batch"),
            job(2, at: 0, gpus: 8, runs: 1000, partition: "batch"),
            job(3, at: 0, gpus: 8, runs: 1000, partition: "gpu"),  // same tier as the newcomer: not a victim
            job(4, at: 0, gpus: 24, nodes: 3, runs: 1000, partition: "scavenger"),  // a 3-node gang
            job(5, at: 10, gpus: 8, runs: 100, partition: "gpu"),
        ]
        let run = try Simulator.run(spec: s, jobs: jobs, options: .init(queue: .fifo, checkInvariants: true))
        #expect(run.invariantViolations.isEmpty, "\(run.invariantViolations)")
        let o = Dictionary(uniqueKeysWithValues: run.outcomes.map { ($0.id, $0) })
        #expect(o[5]?.start == 10)
        #expect(o[4]?.interruptions == 1)
        #expect(o[4]?.gpus == 24)
        #expect([1, 2, 3].allSatisfy { o[Int64($0)]?.interruptions == 0 })
        // The whole gang's 24 GPUs × 10 s were lost, not one node's.
        #expect(run.lostGPUSeconds == 24 * 10)
    }

    @Test func thePassNamesItsVictimsAndDoesNotChooseThemTwice() throws {
        let s = try spec()
        var state = ClusterState(spec: s)
        var book = QueueBook(spec: s, policy: .fifo, now: 0)
        for id in 1...6 as ClosedRange<Int64> {
            guard case let .success(d) = state.place(ResourceRequest(gpus: 8, partition: "scavenger")) else {
                Issue.record("no room")
                return
            }
            try state.commit(d.allocation)
            book.started(
                id: id, account: "etf", allocation: d.allocation, end: 5000, at: id * 10, partition: "scavenger")
        }
        let big = QueuePass.Candidate(
            id: 10, request: ResourceRequest(gpus: 8, partition: "gpu"), account: "ivi", submit: 100, timeLimit: 600)
        var waits: [QueuePass.Wait] = []
        var work = QueuePass.Counters()
        for _ in 0..<2 {
            QueuePass.run(
                on: &state, book: &book, queue: [big], now: 100, work: &work, started: { _, _ in true },
                waiting: { _, w in waits.append(w) })
        }
        // The job started last (6) lost least; the second pass waits for it rather than choose again.
        #expect(waits.first == .preempting([6]))
        #expect(waits.first?.reason { "\($0)" }?.contains("preempting job 6") == true)
        #expect(work.preemptions == 1)
        // Once the victim has given its resources back, the marks are cleared.
        book.ended(id: 6, at: 120)
        #expect(book.preempting.isEmpty)
        #expect(book.preemptors[10] != nil)
    }
}
