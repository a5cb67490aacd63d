import Testing

@testable import Scheduler

/// Jobs' classes (one per bucket of waiting jobs: request without its time limit, and account), worked out at
/// once or on a thread of their own ahead of the replay.
@Suite struct ArrivalClassesTests {
    func job(_ i: Int, gpus: Int, account: String, limit: TimeSpan? = nil, memory: ByteSize? = nil) -> SimulatedJob {
        var r = ResourceRequest(gpus: gpus)
        r.time = limit
        r.memory = memory
        return SimulatedJob(id: Int64(i), submit: Int64(i), duration: 60, timeLimit: 600, request: r, account: account)
    }

    @Test func jobsShareAClassWhenOnlyTheirTimeLimitsDifferNumberedAsTheyFirstAppear() {
        let jobs = [
            job(0, gpus: 1, account: "ivi"),
            job(1, gpus: 2, account: "ivi"),
            job(2, gpus: 1, account: "ivi", limit: .hours(2)),  // as job 0 but for its limit
            job(3, gpus: 1, account: "etf"),  // another account
            job(4, gpus: 1, account: "ivi", memory: .gigabytes(64)),  // another request
            job(5, gpus: 2, account: "ivi", limit: .minutes(1)),
            job(6, gpus: 1, account: "etf"),
        ]
        for background in [false, true] {
            let classes = ArrivalClasses(jobs: jobs, background: background)
            #expect(jobs.indices.map { classes.of($0) } == [0, 1, 0, 2, 3, 1, 2], "background \(background)")
        }
    }

    @Test func aThreadGivesTheSameClassesReadInAnyOrder() {
        // Several chunks and a partial one, read from the last job back (the first read waits for them all), and
        // from the first on.
        let n = ArrivalClasses.chunk * 3 + 123
        var rng = SeededRandom(seed: 5)
        let accounts = ["ivi", "etf", "ipb"]
        let jobs = (0..<n).map { i in
            job(i, gpus: 1 << Int(rng.next() % 4), account: accounts[Int(rng.next() % 3)])
        }
        let atOnce = ArrivalClasses(jobs: jobs, background: false)
        let expected = jobs.indices.map { atOnce.of($0) }
        #expect(Set(expected) == Set(0..<12))
        let backward = ArrivalClasses(jobs: jobs, background: true)
        #expect(jobs.indices.reversed().map { backward.of($0) } == expected.reversed())
        let forward = ArrivalClasses(jobs: jobs, background: true)
        #expect(jobs.indices.map { forward.of($0) } == expected)
    }

    @Test func replaysDecideTheSameWithClassesWorkedOutOnAThread() throws {
        var rng = SeededRandom(seed: 12)
        let sizes = [1, 1, 2, 4, 8, 16]
        let accounts = ["ivi", "etf", "ipb"]
        let jobs = (0..<1200).map { i in
            let limit = Int64(600 + rng.next() % 7200)
            var r = ResourceRequest(gpus: sizes[Int(rng.next() % UInt64(sizes.count))])
            if i % 7 == 0 { r.time = TimeSpan(seconds: limit) }
            return SimulatedJob(
                id: Int64(i), submit: Int64(i) * 90, duration: max(limit * Int64(rng.next() % 100) / 100, 1),
                timeLimit: limit, request: r, account: accounts[Int(rng.next() % 3)])
        }
        let failures = SimulationEvents(failureModel: .init(mtbf: 2 * 86_400, repair: 3600, seed: 4))
        for policy in QueuePolicyName.allCases {
            let (a, _) = try sameScheduleBothWays(
                \.classesInBackground, spec: try platform(), jobs: jobs, policy: policy, events: failures)
            #expect(a.outcomes.filter { $0.start != nil }.count == jobs.count, "\(policy)")
        }
    }
}
