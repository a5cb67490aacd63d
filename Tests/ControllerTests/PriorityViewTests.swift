import Foundation
import Hummingbird
import HummingbirdTesting
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// Pending jobs' priorities as the API shows them: from the controller's queue book, under the policy in force.
@Suite struct PriorityViewTests {
    static func fairshare() throws -> ClusterSpec {
        var s = try platformSpec()
        s.scheduling.policy = .fairshare
        return s
    }

    static func fifo() throws -> ClusterSpec {
        var s = try platformSpec()
        s.scheduling.policy = .fifo
        return s
    }

    @Test func pendingJobsCarryTheirPriorityAndTheSchedulerOffersThemInItsOrder() async throws {
        try await withClockedCore(spec: try Self.fairshare()) { core, _, clock in
            var running: [JobView] = []
            for _ in 0..<6 { running.append(try await core.submit(job(gpus: 8), by: ana)) }
            #expect(running.allSatisfy { $0.state == .running && $0.priority == nil })
            let small = try await core.submit(job(gpus: 1, account: "etf"), by: bo)
            let large = try await core.submit(job(gpus: 8, account: "ipb"), by: bo)
            #expect(small.state == .pending)
            #expect(small.priority?.policy == "fairshare")

            clock.set(t0 + 3600)
            let s = try #require(try await core.job(small.id, by: bo).priority)
            // Weights are cluster.yaml's defaults: age 1000 over 7 days, fair share 10000, size 1000 over 48 GPUs.
            let age = 1000 * (3600.0 / 604_800.0)
            #expect(s.policy == "fairshare")
            #expect(s.ordersQueue)
            #expect(s.age == age)
            #expect(s.fairShare == 10000)
            #expect(s.partition == 0)
            #expect(s.nice == 0)
            #expect(s.size == 1000 * (1.0 / 48.0))
            #expect(s.total == s.age + s.fairShare + s.size + s.partition - s.nice)
            let l = try #require(try await core.job(large.id, by: bo).priority)
            #expect(l.size == 1000 * (8.0 / 48.0))
            #expect(l.age == age)
            #expect(l.total > s.total)
            let listed = try await core.jobs(by: root)
            #expect(listed.map(\.id) == running.map(\.id) + [small.id, large.id])
            #expect(listed.filter { $0.priority != nil }.map(\.id) == [small.id, large.id])
            #expect(await core.queuePolicy == .fairshare)

            // A node frees: the 8-GPU job, higher in priority though submitted later, takes it.
            try await core.end(running[0].id)
            #expect(try await core.job(large.id, by: bo).state == .running)
            #expect(try await core.job(small.id, by: bo).state == .pending)
        }
    }

    @Test func underFIFOThePriorityIsShownButSubmissionOrderRules() async throws {
        try await withClockedCore(spec: try Self.fifo()) { core, _, _ in
            var running: [JobView] = []
            for _ in 0..<6 { running.append(try await core.submit(job(gpus: 8), by: ana)) }
            let small = try await core.submit(job(gpus: 1, account: "etf"), by: bo)
            let large = try await core.submit(job(gpus: 8, account: "ipb"), by: bo)
            let p = try #require(try await core.job(large.id, by: bo).priority)
            #expect(p.policy == "fifo")
            #expect(!p.ordersQueue)
            #expect(p.size == 1000 * (8.0 / 48.0))
            try await core.end(running[0].id)
            // First come, first served: the 1-GPU job starts, the 8-GPU one no longer fits.
            #expect(try await core.job(small.id, by: bo).state == .running)
            #expect(try await core.job(large.id, by: bo).state == .pending)
        }
    }

    @Test func jobAnswersCarryThePriorityAndTheListThePolicy() async throws {
        try await withLiveAPI { api in
            for _ in 0..<6 { _ = try await api.call(.post, "/v1/jobs", body: jobBody(gpus: 8)) }
            let waiting = try await api.call(.post, "/v1/jobs", body: jobBody(gpus: 2)).decode(JobView.self)
            #expect(waiting.state == .pending)
            let shown = try await api.call(.get, "/v1/jobs/\(waiting.id)").decode(JobView.self)
            let p = try #require(shown.priority)
            // cluster.yaml's policy: fairshare.
            #expect(p.policy == "fairshare")
            #expect(p.size == 1000 * (2.0 / 48.0))
            #expect(p.total == p.age + p.fairShare + p.size)
            let list = try await api.call(.get, "/v1/jobs").decode(JobList.self)
            #expect(list.policy == "fairshare")
            #expect(list.jobs.filter { $0.priority != nil }.map(\.id) == [waiting.id])
        }
    }
}
