import Testing

@testable import Scheduler

/// strict-fifo: head-of-line FIFO, where the first job in line that does not start holds back every job
/// behind it (greedy `fifo` lets them pass).
extension QueuePolicyTests {
    @Test func strictFIFOHoldsTheSmallJobsBehindTheBigOne() throws {
        // `backfillTrace`: dgx01–05 busy until 100 and half of dgx06 until 200; A (48 GPUs) arrives at 1, B and
        // C (2 GPUs each) at 2 and 3. Under fifo B and C start at once and A waits for C, until 303.
        // Under strict-fifo B and C, though they fit at once, wait behind A. A fits once job 6 has ended (200)
        // and holds every GPU until 300; then B (to 450) and C (to 600) start together.
        for indexed in [true, false] {
            var options = Simulator.Options(queue: .strictFIFO, checkInvariants: true)
            options.indexedQueue = indexed
            let run = try Simulator.run(spec: try platform(), jobs: backfillTrace, options: options)
            #expect(run.invariantViolations.isEmpty, "\(run.invariantViolations)")
            let s = starts(run)
            #expect(s[7] == 200, "indexed: \(indexed): \(s)")
            #expect(s[8] == 300, "indexed: \(indexed): \(s)")
            #expect(s[9] == 300, "indexed: \(indexed): \(s)")
            #expect(run.work.backfilled == 0)
            #expect(run.work.plans == 0)
        }
    }

    @Test func theJobsBehindTheFirstInLineAreToldWhichJobTheyWaitBehind() throws {
        // dgx01–05 full and dgx06 half busy (4 GPUs free): A (48 GPUs) does not fit; B and C (2 GPUs) would.
        let (busy, running) = try busyPlatform([8, 8, 8, 8, 8, 4])
        var state = busy
        var book = QueueBook(spec: state.spec, policy: .strictFIFO, now: 0)
        for (id, a) in running { book.started(id: id, account: "ipb", allocation: a, end: 200, at: 0) }
        func candidate(_ id: Int64, gpus: Int, submit: Int64) -> QueuePass.Candidate {
            QueuePass.Candidate(
                id: id, request: ResourceRequest(gpus: gpus), account: "ivi", submit: submit, timeLimit: 3600)
        }
        let queue = [
            candidate(1, gpus: 48, submit: 1), candidate(2, gpus: 2, submit: 2), candidate(3, gpus: 2, submit: 3),
        ]
        var work = QueuePass.Counters()
        var started: [Int64] = []
        var waits: [Int64: QueuePass.Wait] = [:]
        func pass(_ queue: [QueuePass.Candidate], at now: Int64, complete: Bool) {
            QueuePass.run(
                on: &state, book: &book, queue: queue, now: now, complete: complete, work: &work,
                started: { c, _ in
                    started.append(c.id)
                    return true
                }, waiting: { c, w in waits[c.id] = w })
        }
        pass(queue, at: 3, complete: true)
        #expect(started.isEmpty)
        #expect(book.firstInLine == 1)
        #expect(waits[2] == .behind(1))
        #expect(waits[3] == .behind(1))
        #expect(
            waits[2]?.reason { "\($0)" } == "waits behind job 1 (strict-fifo: nothing passes the first job in line)")

        // A newcomer that fits waits behind A too: a pass over newcomers keeps the line.
        pass([candidate(4, gpus: 1, submit: 4)], at: 4, complete: false)
        #expect(started.isEmpty)
        #expect(waits[4] == .behind(1))
        // A dry run of a job that fits says the same.
        guard case let .failure(r) = QueuePass.trial(candidate(9, gpus: 1, submit: 5), on: &state, book: &book, now: 5)
        else {
            Issue.record("a dry run started a job behind the line")
            return
        }
        #expect(r.reason.hasPrefix("waits behind job 1"))
        // A job that comes before A in line (submitted earlier, released by its dependency) is offered: 2 GPUs
        // fit and start; 8 GPUs, with 2 left free, do not, and that job holds the line in A's place.
        pass([candidate(5, gpus: 2, submit: 0)], at: 6, complete: false)
        #expect(started == [5])
        #expect(book.firstInLine == 1)
        pass([candidate(6, gpus: 8, submit: 0)], at: 7, complete: false)
        #expect(started == [5])
        #expect(book.firstInLine == 6)

        // Bucket by bucket and job by job, the first pass starts nothing and A holds the line.
        var indexedBook = QueueBook(spec: busy.spec, policy: .strictFIFO, now: 0)
        for (id, a) in running { indexedBook.started(id: id, account: "ipb", allocation: a, end: 200, at: 0) }
        let plainBook = indexedBook
        let (indexedStarted, _, left) = startsBucketByBucket(queue, on: busy, book: &indexedBook, now: 3)
        #expect(indexedStarted.isEmpty)
        #expect(left.count == 3)
        #expect(indexedBook.firstInLine == 1)
        #expect(startsJobByJob(queue, on: busy, book: plainBook, now: 3).started.isEmpty)
    }

    @Test func strictFIFONeverStartsAJobBeforeAnEarlierOneOnRandomWorkloads() throws {
        // Seeded random workloads, with an account limit (etf: 10 GPUs) and a repeated maintenance window, run
        // bucket by bucket and job by job (the schedules must be the same): in submission order, no job starts
        // before one submitted earlier. Under fifo the same workloads do start jobs out of order.
        var spec = try platform()
        let etf = spec.accounts.firstIndex { $0.name == "etf" }!
        spec.accounts[etf].limits = AccountLimits(gpus: 10)
        let windows = SimulationEvents(
            maintenance: [.init(nodes: ["dgx02"], start: 7200, duration: 3600, every: 40_000)])
        let sizes = [1, 1, 2, 2, 4, 8, 16, 24]
        let accounts = ["ivi", "etf", "ipb"]
        for seed in [5, 17, 29] as [UInt64] {
            var rng = SeededRandom(seed: seed)
            var submit: Int64 = 0
            let jobs = (1...400).map { i -> SimulatedJob in
                // Some jobs arrive together (the same submission time: then in id order).
                submit += Int64(rng.next() % 4) * 30
                let limit = Int64(300 + rng.next() % 7200)
                let gpus = sizes[Int(rng.next() % UInt64(sizes.count))]
                let account = accounts[Int(rng.next() % UInt64(accounts.count))]
                let runs = max(limit * Int64(rng.next() % 100) / 100, 1)
                return job(Int64(i), at: submit, gpus: gpus, runs: runs, limit: limit, account: account)
            }
            for e in [SimulationEvents(), windows] {
                let label = "seed \(seed), windows: \(!e.isEmpty)"
                let (a, _) = try sameScheduleBothWays(
                    \.indexedQueue, spec: spec, jobs: jobs, policy: .strictFIFO, events: e)
                // etf's jobs of 16 and 24 GPUs can never run within its limit: they are refused on arrival and
                // hold nothing back; every other job runs.
                #expect(a.outcomes.contains { $0.neverFits != nil }, "\(label)")
                #expect(a.outcomes.allSatisfy { $0.end != nil || $0.neverFits != nil }, "\(label)")
                let passed = startedOutOfOrder(a)
                #expect(passed.isEmpty, "\(label): \(passed.prefix(3))")
                let greedy = try Simulator.run(spec: spec, jobs: jobs, options: .init(queue: .fifo, events: e))
                #expect(!startedOutOfOrder(greedy).isEmpty, "\(label)")
            }
        }
    }

    /// The jobs of `run` that started before a job submitted earlier (earlier: by submission time, then id),
    /// each with the earlier job it passed.
    func startedOutOfOrder(_ run: Simulator.Run) -> [(job: Int64, passed: Int64)] {
        var out: [(Int64, Int64)] = []
        var latest: (start: Int64, id: Int64)?
        for o in run.outcomes.sorted(by: { ($0.submit, $0.id) < ($1.submit, $1.id) }) {
            guard let start = o.start else { continue }
            if let l = latest, l.start > start { out.append((o.id, l.id)) }
            if latest == nil || start > latest!.start { latest = (start, o.id) }
        }
        return out
    }
}
