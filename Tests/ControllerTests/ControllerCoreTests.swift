import Foundation
import Logging
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

@Suite struct ControllerCoreTests {
    @Test func submitPlacesWhereTheEngineChooses() async throws {
        try await withCore { core, store, _ in
            let job = try await core.submit(submit(gpus: 2), by: ana)
            #expect(job.state == .running)
            #expect(job.user == "ana")
            #expect(job.account == "ivi")
            #expect(job.partition == "gpu")
            #expect(job.name == "python")
            var engine = ClusterState(spec: try platformSpec())
            let expected = try engine.place(ResourceRequest(gpus: 2, account: "ivi", time: .hours(1))).get()
            try engine.commit(expected.allocation)
            #expect(job.allocation == engine.spec.view(of: expected.allocation))
            #expect(job.allocation?.nodes.map(\.node) == ["dgx01"])
            #expect(try store.job(job.id)?.state == .running)
            #expect(await core.clusterState.invariantViolations().isEmpty)
        }
    }

    @Test func invalidAndNeverFittingRequestsAreRefusedWithTheEnginesWords() async throws {
        try await withCore { core, store, _ in
            await #expect(throws: ControllerError(.badRequest, "65 GPUs requested; the cluster has 48")) {
                try await core.submit(submit(gpus: 65), by: ana)
            }
            await #expect(
                throws: ControllerError(.badRequest, "unknown partition 'debug' (partitions: gpu, interactive)")
            ) { try await core.submit(submit(gpus: 1, partition: "debug"), by: ana) }
            var noAccount = submit(gpus: 1)
            noAccount.request.account = nil
            await #expect(throws: ControllerError.self) { try await core.submit(noAccount, by: ana) }
            let stored = try store.jobs()
            #expect(stored.isEmpty)
        }
    }

    @Test func aFullClusterLeavesJobsPendingWithAReason() async throws {
        try await withCore { core, _, _ in
            for _ in 0..<6 { #expect(try await core.submit(submit(gpus: 8), by: ana).state == .running) }
            let waiting = try await core.submit(submit(gpus: 1), by: bo)
            #expect(waiting.state == .pending)
            #expect(waiting.pendingReason?.isEmpty == false)
            // Cancelling a running job only asks for a stop: its GPUs stay held until the agent reports the exit.
            let stopped = try await core.cancel(1, by: ana)
            #expect(stopped.state == .running)
            #expect(stopped.stopRequested == "cancel")
            #expect(try await core.job(waiting.id, by: bo).state == .pending)
            // A pending job ends at once.
            #expect(try await core.cancel(waiting.id, by: bo).state == .cancelled)
        }
    }

    @Test func usersMayTouchOnlyTheirOwnJobs() async throws {
        try await withCore { core, _, _ in
            let job = try await core.submit(submit(gpus: 1), by: ana)
            await #expect(throws: ControllerError(.forbidden, "job \(job.id) belongs to ana")) {
                try await core.cancel(job.id, by: bo)
            }
            await #expect(throws: ControllerError(.forbidden, "job \(job.id) belongs to ana")) {
                try await core.job(job.id, by: bo)
            }
            #expect(try await core.jobs(by: bo).isEmpty)
            #expect(try await core.jobs(by: root).count == 1)
            #expect(try await core.cancel(job.id, by: root).stopRequested == "cancel")
            await #expect(throws: ControllerError(.notFound, "no job 99")) { try await core.cancel(99, by: root) }
        }
    }

    @Test func drainKeepsNewJobsAwayAndResumeBringsThemBack() async throws {
        try await withCore { core, store, _ in
            let first = try await core.submit(submit(gpus: 1), by: ana)
            #expect(first.allocation?.nodes[0].node == "dgx01")
            let drained = try await core.drain("dgx01", reason: "ECC errors on GPU 3", by: root)
            #expect(drained.state == .draining)
            #expect(drained.reason == "ECC errors on GPU 3")
            #expect(drained.actor == "admin")
            #expect(try store.nodeState("dgx01")?.state == .drain)
            let next = try await core.submit(submit(gpus: 1), by: ana)
            #expect(next.allocation?.nodes[0].node != "dgx01")
            await #expect(throws: ControllerError(.notFound, "unknown node 'dgx09' (nodes: dgx01…dgx06)")) {
                try await core.drain("dgx09", reason: "x", by: root)
            }
            await #expect(throws: ControllerError.self) { try await core.drain("dgx02", reason: "x", by: ana) }
            let resumed = try await core.resume("dgx01", by: root)
            #expect(resumed.state == .up)
            #expect(resumed.gpus.map(\.used).reduce(0, +) == 1)
        }
    }

    @Test func aRestartReloadsAllocationsSoNoGPUIsGivenTwice() async throws {
        try await withCore { core, store, _ in
            for _ in 0..<5 { _ = try await core.submit(submit(gpus: 8), by: ana) }
            _ = try await core.submit(submit(gpus: 4), by: ana)
            _ = try await core.drain("dgx06", reason: "maintenance", by: root)
            let before = await core.clusterState.freeShapes()
            let again = try ControllerCore(spec: try platformSpec(), store: store, settings: noAgents, clock: { t0 })
            #expect(await again.clusterState.freeShapes() == before)
            #expect(try await again.node("dgx06").state == .draining)
            // dgx06 drains and holds 4 GPUs: nothing else fits.
            let late = try await again.submit(submit(gpus: 1), by: bo)
            #expect(late.state == .pending)
            _ = try await again.resume("dgx06", by: root)
            let placed = try await again.job(late.id, by: bo)
            #expect(placed.state == .running)
            #expect(placed.allocation?.nodes[0].node == "dgx06")
            let running = try store.jobs(filter: JobFilter(states: [.running]))
            var gpus = Set<String>()
            for j in running {
                for n in j.allocation!.nodes { for g in n.gpus { #expect(gpus.insert("\(n.node):\(g)").inserted) } }
            }
            #expect(await again.clusterState.invariantViolations().isEmpty)
        }
    }

    @Test func aJobWhoseNodeLeftClusterYAMLIsRequeuedAtRestart() async throws {
        try await withCore { core, store, _ in
            for _ in 0..<6 { _ = try await core.submit(submit(gpus: 8), by: ana) }
            let onSix = try #require(try store.jobs().first { $0.nodes == ["dgx06"] })
            var smaller = try platformSpec()
            smaller.nodes.removeAll { $0.name == "dgx06" }
            for i in smaller.partitions.indices { smaller.partitions[i].nodes.removeAll { $0 == "dgx06" } }
            let again = try ControllerCore(
                spec: smaller, store: store, settings: noAgents, logger: quietLogger, clock: { t0 })
            let requeued = try #require(try store.job(onSix.id))
            #expect(requeued.state == .pending)
            #expect(requeued.requeueCount == 1)
            #expect(requeued.allocation == nil)
            #expect(requeued.pendingReason == "requeued: node dgx06 lost")
            #expect(await again.clusterState.freeShapes().freeGPUs == 0)
            #expect(await again.schedule().isEmpty)
            #expect(await again.clusterState.invariantViolations().isEmpty)
        }
    }

    @Test func theFirstStartWritesAnAdminTokenOnlyItsOwnerCanRead() async throws {
        try await withCore { core, store, dir in
            let path = try #require(try AdminToken.bootstrap(store: store, directory: dir, at: t0))
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let secret = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .newlines)
            #expect(try core.authenticate(secret)?.role == .admin)
            #expect(try AdminToken.bootstrap(store: store, directory: dir, at: t0) == nil)
        }
    }
}
