import Foundation
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// Preemption in the real core over a real store: the victims get a requeue stop (their agents send SIGTERM,
/// then SIGKILL after the grace), and the job they make room for starts once they have ended.
@Suite struct PreemptionControllerTests {
    static func spec() throws -> ClusterSpec {
        var s = try platformSpec()
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

    func request(gpus: Int, partition: String) -> SubmitRequest {
        var r = job(gpus: gpus)
        r.request.partition = partition
        return r
    }

    @Test func aGPUPartitionJobRequeuesScavengerJobsAndStartsWhenTheyHaveEnded() async throws {
        try await withClockedCore(spec: try Self.spec()) { core, _, _ in
            var scavengers: [JobView] = []
            for _ in 0..<6 {
                scavengers.append(try await core.submit(request(gpus: 8, partition: "scavenger"), by: bo))
            }
            #expect(scavengers.allSatisfy { $0.state == .running })
            let urgent = try await core.submit(request(gpus: 8, partition: "gpu"), by: ana)
            #expect(urgent.state == .pending)
            #expect(urgent.pendingReason?.hasPrefix("preempting job ") == true, "\(urgent.pendingReason ?? "")")
            // Exactly one victim is stopping, for requeue.
            var victims: [Int64] = []
            for s in scavengers where try await core.job(s.id, by: bo).stopRequested == "requeue" {
                victims.append(s.id)
            }
            #expect(victims.count == 1)
            // Another pass does not pick more victims while the first is on its way out.
            await core.schedule()
            var stopping = 0
            for s in scavengers where try await core.job(s.id, by: bo).stopRequested != nil { stopping += 1 }
            #expect(stopping == 1)
            // The agent reports the victim gone (SIGTERM): it waits again, and the urgent job takes its node.
            try await core.record(victims[0], .exit(code: nil, signal: 15, at: .seconds(t0)))
            let victim = try await core.job(victims[0], by: bo)
            #expect(victim.state == .pending)
            #expect(victim.requeueCount == 1)
            #expect(try await core.job(urgent.id, by: ana).state == .running)
            // The requeued scavenger job may not take it back: it waits.
            #expect(try await core.job(victims[0], by: bo).state == .pending)
        }
    }
}
