import Foundation
import Testing

@testable import Scheduler

/// Jobs' classes (one per bucket of waiting jobs: request without its time limit, and account), worked out as
/// they are read or by work beside the replay (a task, a thread).
@Suite struct ArrivalClassesTests {
    func job(_ i: Int, gpus: Int, account: String, limit: TimeSpan? = nil, memory: ByteSize? = nil) -> SimulatedJob {
        var r = ResourceRequest(gpus: gpus)
        r.time = limit
        r.memory = memory
        return SimulatedJob(id: Int64(i), submit: Int64(i), duration: 60, timeLimit: 600, request: r, account: account)
    }

    @Test func jobsShareAClassWhenOnlyTheirTimeLimitsDifferNumberedAsTheyFirstAppear() async {
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
            let classes = ArrivalClasses(jobs: jobs)
            async let ahead: Void = background ? classes.workAhead() : ()
            #expect(jobs.indices.map { classes.of($0) } == [0, 1, 0, 2, 3, 1, 2], "background \(background)")
            await ahead
        }
    }

    @Test func aTaskAheadGivesTheSameClassesReadInAnyOrder() async {
        // Several chunks and a partial one, read from the last job back (the first read needs them all), and
        // from the first on.
        let n = ArrivalClasses.chunk * 3 + 123
        var rng = SeededRandom(seed: 5)
        let accounts = ["ivi", "etf", "ipb"]
        let jobs = (0..<n).map { i in
            job(i, gpus: 1 << Int(rng.next() % 4), account: accounts[Int(rng.next() % 3)])
        }
        let atOnce = ArrivalClasses(jobs: jobs)
        let expected = jobs.indices.map { atOnce.of($0) }
        #expect(Set(expected) == Set(0..<12))
        let backward = ArrivalClasses(jobs: jobs)
        async let backwardAhead: Void = backward.workAhead()
        #expect(jobs.indices.reversed().map { backward.of($0) } == expected.reversed())
        let forward = ArrivalClasses(jobs: jobs)
        async let forwardAhead: Void = forward.workAhead()
        #expect(jobs.indices.map { forward.of($0) } == expected)
        _ = await (backwardAhead, forwardAhead)
    }

    @Test func replaysDecideTheSameWithClassesWorkedOutAhead() throws {
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
            // Ahead, on a thread beside the replay (`beside`), and as the loop reads them.
            var options = Simulator.Options(queue: policy, events: failures, checkInvariants: true)
            options.classesAhead = true
            let spec = try platform()
            let a = try Simulator.run(spec: spec, jobs: jobs, options: options, beside: { Thread(block: $0).start() })
            let b = try Simulator.run(spec: spec, jobs: jobs, options: options)
            #expect(a.invariantViolations.isEmpty, "\(policy): \(a.invariantViolations.prefix(2))")
            #expect(b.invariantViolations.isEmpty, "\(policy), other way: \(b.invariantViolations.prefix(2))")
            let diff = zip(a.outcomes, b.outcomes).first { $0.0 != $0.1 }
            #expect(diff == nil, "\(policy): first difference \(String(describing: diff))")
            #expect(a.outcomes.filter { $0.start != nil }.count == jobs.count, "\(policy)")
        }
    }
}
