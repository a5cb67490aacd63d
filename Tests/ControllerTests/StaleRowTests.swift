import Agent
import Foundation
import RasporedAPI
import Synchronization
import Testing

@testable import Controller
@testable import Scheduler

/// Job changes are written behind (`ControllerCore+Durability`): for a moment after a job ends, the store
/// still has its row as running. Nothing may act on that stale row.
@Suite struct StaleRowTests {
    /// Holds the store's one writer until `release`, so commits queue behind it.
    final class WriterHold: Sendable {
        let entered = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)

        init(_ store: StateStore) {
            let (entered, gate) = (self.entered, self.gate)
            Thread.detachNewThread {
                store.pool.writeWithoutTransaction { _ in
                    entered.signal()
                    gate.wait()
                }
            }
            entered.wait()
        }

        func release() { gate.signal() }
    }

    @Test func aCancelRightAfterTheEndIsRefusedAndDoesNotBringTheJobBack() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("raspored-stale-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try StateStore(directory: dir, create: true)
        let settings = ControllerSettings(requireAgents: true, outputDirectory: dir + "/output")
        let core = try ControllerCore(
            spec: try platformSpec(), store: store, settings: settings, logger: quietLogger,
            clock: ControllerCore.wallClock)
        let agent = Principal(tokenId: 9, user: "agent-dgx01", role: .agent, node: "dgx01")
        _ = try await core.register(
            AgentRegistration(node: "dgx01", discovered: try AgentProtocolTests.dgx(), runs: []), node: "dgx01",
            by: agent)
        let job = try await core.submit(submit(gpus: 8), by: ana)
        #expect(job.state == .running)
        #expect(job.allocation?.nodes.map(\.node) == ["dgx01"])
        let run = "\(job.id)"
        _ = try await core.heartbeat(
            AgentHeartbeat(runs: [RunStatus(runId: run, phase: .running)]), node: "dgx01", wait: 0, by: agent)

        let hold = WriterHold(store)
        // The agent reports the end: the controller ends the job, and waits for the row to reach the disk.
        let end = Task {
            try await core.heartbeat(
                AgentHeartbeat(runs: [RunStatus(runId: run, phase: .completed, exitCode: 0)]), node: "dgx01", wait: 0,
                by: agent)
        }
        while await core.live[job.id] != nil { try await Task.sleep(for: .milliseconds(5)) }
        #expect(try store.job(job.id)?.state == .running, "the row on disk is the stale one")
        // The owner cancels it now.
        let answered = Mutex(false)
        let cancel = Task { () -> Result<ReferenceOutcome, ControllerError> in
            defer { answered.withLock { $0 = true } }
            do throws(ControllerError) { return .success(try await core.cancel(.job(job.id), by: ana)) } catch {
                return .failure(error)
            }
        }
        // Until it is answered, or (were it taken) it puts the job back as running.
        while !answered.withLock({ $0 }), await core.live[job.id] == nil { try await Task.sleep(for: .milliseconds(5)) }
        hold.release()
        _ = try await end.value
        let outcome = await cancel.value

        switch outcome {
        case let .success(answer): Issue.record("the cancel of an ended job was accepted: \(answer)")
        case let .failure(error):
            #expect(error == ControllerError(.conflict, "job \(job.id) is completed; it cannot be cancelled"))
        }
        await core.durable()
        let stored = try #require(try store.job(job.id))
        #expect(stored.state == .completed)
        #expect(stored.stopRequest == nil)
        #expect(await core.live[job.id] == nil)
        #expect(try await core.node("dgx01").gpus.allSatisfy { $0.used == 0 })
        #expect(await core.clusterState.invariantViolations().isEmpty)
        let orders = try await core.heartbeat(AgentHeartbeat(runs: []), node: "dgx01", wait: 0, by: agent)
        #expect(orders.stop.isEmpty)
        #expect(orders.launch.isEmpty)
    }
}
