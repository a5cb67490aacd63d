import Agent
import Foundation
import Logging
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// The controller's side of the agent protocol, on the core: registration checked against cluster.yaml,
/// orders derived from jobs and reports, ends, silent nodes.
@Suite struct AgentProtocolTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/hwloc")

    /// What the agent on a DGX H200 discovers (real hwloc on the authored export).
    static func dgx() throws -> DiscoveredNode {
        try DiscoveredNode.discover(.xml(path: fixtures.appendingPathComponent("dgx-h200.xml").path))
    }

    func withAgentCore<T>(
        downAfter: Double = 30, _ body: (ControllerCore, StateStore) async throws -> T
    ) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("raspored-agents-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try StateStore(directory: dir, create: true)
        let settings = ControllerSettings(
            requireAgents: true, heartbeatSeconds: 1, downAfterSeconds: downAfter, outputDirectory: dir + "/output")
        let core = try ControllerCore(
            spec: try platformSpec(), store: store, settings: settings, logger: quietLogger,
            clock: ControllerCore.wallClock)
        return try await body(core, store)
    }

    static func agent(_ node: String) -> Principal {
        Principal(tokenId: 9, user: "agent-\(node)", role: .agent, node: node)
    }

    @Test func nodesTakeWorkOnlyOnceTheirAgentRegistersMatchingHardware() async throws {
        try await withAgentCore { core, _ in
            #expect(try await core.node("dgx01").state == .down)
            let waiting = try await core.submit(submit(gpus: 4), by: ana)
            #expect(waiting.state == .pending)
            #expect(waiting.pendingReason != nil)

            let reply = try await core.register(
                AgentRegistration(node: "dgx01", discovered: try Self.dgx(), runs: []), node: "dgx01",
                by: Self.agent("dgx01"))
            #expect(reply.accepted)
            #expect(reply.differences.filter { $0.severity == .mismatch }.isEmpty)
            #expect(try await core.node("dgx01").state == .up)
            // The job waiting for a node starts there, and the reply tells the agent to launch it.
            let job = try await core.job(waiting.id, by: ana)
            #expect(job.state == .running)
            #expect(job.allocation?.nodes.map(\.node) == ["dgx01"])
            #expect(reply.orders.launch.map(\.runId) == ["\(waiting.id)"])
            let a = try #require(reply.orders.launch.first)
            #expect(a.allocation == job.allocation?.nodes[0])
            #expect(a.allocation.gpus.count == 4)
            #expect(Set(a.allocation.numa).count == 1)
            #expect(a.command == ["python", "train.py"])
            #expect(a.nodeList == ["dgx01"])
        }
    }

    @Test func differentHardwareKeepsTheNodeOutWithTheDifferenceAsReason() async throws {
        try await withAgentCore { core, _ in
            // A DGX-2 (16 V100s) registering as dgx02, which cluster.yaml declares a DGX H200.
            let dgx2 = try DiscoveredNode.discover(
                .xml(path: Self.fixtures.appendingPathComponent("nvidiaDGX2.xml").path))
            let reply = try await core.register(
                AgentRegistration(node: "dgx02", discovered: dgx2, runs: []), node: "dgx02", by: Self.agent("dgx02"))
            #expect(!reply.accepted)
            let node = try await core.node("dgx02")
            #expect(node.state == .invalid)
            let reason = try #require(node.reason)
            #expect(reason.contains("hardware differs from cluster.yaml"))
            #expect(reason.contains("GPUs: 16 found, 8 declared"))
            // Nothing is placed there.
            let job = try await core.submit(submit(gpus: 1), by: ana)
            #expect(job.state == .pending)
        }
    }

    @Test func runsEndJobsAndOrdersAreIdempotent() async throws {
        try await withAgentCore { core, store in
            let me = Self.agent("dgx03")
            _ = try await core.register(
                AgentRegistration(node: "dgx03", discovered: try Self.dgx(), runs: []), node: "dgx03", by: me)
            let job = try await core.submit(submit(gpus: 2), by: ana)
            let run = "\(job.id)"
            // Not reported yet: the launch is repeated.
            var o = try await core.heartbeat(AgentHeartbeat(runs: []), node: "dgx03", wait: 0, by: me)
            #expect(o.launch.map(\.runId) == [run])
            // Reported running: no more launches, nothing else to do.
            o = try await core.heartbeat(
                AgentHeartbeat(runs: [RunStatus(runId: run, phase: .running, pid: 42)]), node: "dgx03", wait: 0, by: me)
            #expect(o.isEmpty)
            // It ends with status 3: the job failed, its GPUs are free, the end is acknowledged.
            o = try await core.heartbeat(
                AgentHeartbeat(runs: [RunStatus(runId: run, phase: .failed, exitCode: 3, reason: "exit status 3")]),
                node: "dgx03", wait: 0, by: me)
            #expect(o.acknowledged == [run])
            #expect(o.launch.isEmpty)
            let ended = try #require(try store.job(job.id))
            #expect(ended.state == .failed)
            #expect(ended.exitCode == 3)
            #expect(try await core.node("dgx03").gpus.allSatisfy { $0.used == 0 })
        }
    }

    /// The ends one heartbeat reports free their resources together, and one pass then chooses among all of
    /// them, as the simulator's events of one moment do: the 8-GPU job first in line starts on the node two
    /// ended 4-GPU jobs leave, where a pass after each end would have let a short 2-GPU job behind it take
    /// the first half (backfill: it ends long before the 8-GPU job could start).
    @Test func theEndsOfOneHeartbeatAreFollowedByOnePass() async throws {
        try await withAgentCore { core, _ in
            let me = Self.agent("dgx01")
            _ = try await core.register(
                AgentRegistration(node: "dgx01", discovered: try Self.dgx(), runs: []), node: "dgx01", by: me)
            let a = try await core.submit(submit(gpus: 4), by: ana)
            let b = try await core.submit(submit(gpus: 4), by: ana)
            #expect([a.state, b.state] == [.running, .running])
            let big = try await core.submit(submit(gpus: 8), by: ana)
            var short = submit(gpus: 2)
            short.request.time = .minutes(1)
            let small = try await core.submit(short, by: ana)
            #expect([big.state, small.state] == [.pending, .pending])
            _ = try await core.heartbeat(
                AgentHeartbeat(runs: [
                    RunStatus(runId: "\(a.id)", phase: .completed, exitCode: 0),
                    RunStatus(runId: "\(b.id)", phase: .completed, exitCode: 0),
                ]), node: "dgx01", wait: 0, by: me)
            #expect(try await core.job(big.id, by: ana).state == .running)
            #expect(try await core.job(small.id, by: ana).state == .pending)
        }
    }

    /// Found by schemathesis-style boundary requests (issue 28): an end of 1e300 stopped the controller.
    @Test(arguments: [1e300, -1e300, 9.3e18, 0.5])
    func anAgentsEndTimeNoTimeCanBeIsReplacedByNow(endedAt: Double) async throws {
        try await withAgentCore { core, store in
            let me = Self.agent("dgx03")
            _ = try await core.register(
                AgentRegistration(node: "dgx03", discovered: try Self.dgx(), runs: []), node: "dgx03", by: me)
            let job = try await core.submit(submit(gpus: 2), by: ana)
            let before = Int64(Date().timeIntervalSince1970)
            _ = try await core.heartbeat(
                AgentHeartbeat(runs: [
                    RunStatus(runId: "\(job.id)", phase: .completed, exitCode: 0, endedAt: endedAt, cpuSeconds: endedAt)
                ]), node: "dgx03", wait: 0, by: me)
            let ended = try #require(try store.job(job.id))
            #expect(ended.state == .completed)
            #expect(ended.endTime.map { $0 >= before && $0 <= Int64(Date().timeIntervalSince1970) } == true)
            #expect(ended.cpuSeconds == (endedAt == 0.5 ? 0.5 : nil))
        }
    }

    @Test func cancelBecomesAStopOrderAndTheStoppedRunEndsTheJob() async throws {
        try await withAgentCore { core, store in
            let me = Self.agent("dgx04")
            _ = try await core.register(
                AgentRegistration(node: "dgx04", discovered: try Self.dgx(), runs: []), node: "dgx04", by: me)
            let job = try await core.submit(submit(gpus: 8), by: ana)
            let run = "\(job.id)"
            _ = try await core.heartbeat(
                AgentHeartbeat(runs: [RunStatus(runId: run, phase: .running)]), node: "dgx04", wait: 0, by: me)
            #expect(try await core.cancel(job.id, by: ana).state == .running)
            var o = try await core.heartbeat(
                AgentHeartbeat(runs: [RunStatus(runId: run, phase: .running)]), node: "dgx04", wait: 0, by: me)
            #expect(o.stop.map(\.runId) == [run])
            #expect(o.stop.first?.why == .cancel)
            o = try await core.heartbeat(
                AgentHeartbeat(runs: [RunStatus(runId: run, phase: .stopped, signal: 15)]), node: "dgx04", wait: 0,
                by: me)
            #expect(try store.job(job.id)?.state == .cancelled)
            // A run the controller does not know (left from before a restart) is stopped.
            o = try await core.heartbeat(
                AgentHeartbeat(runs: [RunStatus(runId: "9999", phase: .running)]), node: "dgx04", wait: 0, by: me)
            #expect(o.stop.map(\.runId) == ["9999"])
            #expect(o.stop.first?.why == .unknown)
        }
    }

    @Test func aLongPollIsAnsweredWhenWorkArrives() async throws {
        try await withAgentCore { core, _ in
            let me = Self.agent("dgx05")
            _ = try await core.register(
                AgentRegistration(node: "dgx05", discovered: try Self.dgx(), runs: []), node: "dgx05", by: me)
            let poll = Task { try await core.heartbeat(AgentHeartbeat(runs: []), node: "dgx05", wait: 30, by: me) }
            // Wait until the poll is parked, then submit: the poll answers with the launch, not after 30 s.
            while await core.waiters.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
            let job = try await core.submit(submit(gpus: 1), by: ana)
            let orders = try await poll.value
            #expect(orders.launch.map(\.jobId) == [job.id])
            // Answered because the job was placed there, not because its 30 s ran out.
            let waiters = await core.waiters
            #expect(waiters.woken == 1)
            #expect(waiters.expired == 0)
        }
    }

    @Test func aSilentNodeGoesDownAndItsJobsAreRequeuedOrFailed() async throws {
        try await withAgentCore(downAfter: 0.3) { core, store in
            for n in ["dgx01", "dgx02"] {
                _ = try await core.register(
                    AgentRegistration(node: n, discovered: try Self.dgx(), runs: []), node: n, by: Self.agent(n))
            }
            let a = try await core.submit(submit(gpus: 8), by: ana)
            var nr = submit(gpus: 8)
            nr.noRequeue = true
            let b = try await core.submit(nr, by: ana)
            let nodeOfA = try #require(a.allocation?.nodes.first?.node)
            let other = nodeOfA == "dgx01" ? "dgx02" : "dgx01"
            #expect(b.allocation?.nodes.first?.node == other)
            // Only the other node keeps heartbeating.
            for _ in 0..<8 {
                try await Task.sleep(for: .milliseconds(100))
                _ = try await core.heartbeat(
                    AgentHeartbeat(runs: [RunStatus(runId: "\(b.id)", phase: .running)]), node: other, wait: 0,
                    by: Self.agent(other))
                await core.sweep()
            }
            let down = try await core.node(nodeOfA)
            #expect(down.state == .down)
            #expect(down.reason?.contains("no heartbeat") == true)
            let requeued = try #require(try store.job(a.id))
            #expect(requeued.state == .pending)
            #expect(requeued.requeueCount == 1)
            #expect(requeued.endReason == nil || requeued.pendingReason != nil)
            // A late heartbeat from the lost node is told to register again.
            let late = try await core.heartbeat(
                AgentHeartbeat(runs: []), node: nodeOfA, wait: 0, by: Self.agent(nodeOfA))
            #expect(late.reregister)
            // Re-registering brings it back, and the requeued job runs again as run ID.1.
            let back = try await core.register(
                AgentRegistration(
                    node: nodeOfA, discovered: try Self.dgx(), runs: [RunStatus(runId: "\(a.id)", phase: .running)]),
                node: nodeOfA, by: Self.agent(nodeOfA))
            #expect(back.orders.stop.map(\.runId) == ["\(a.id)"])
            #expect(back.orders.launch.map(\.runId) == ["\(a.id).1"])
            #expect(try store.job(b.id)?.state == .running)
        }
    }

    @Test func agentTokensReachOnlyTheirOwnNode() async throws {
        try await withAgentCore { core, _ in
            await #expect(throws: ControllerError.self) {
                try await core.register(
                    AgentRegistration(node: "dgx02", discovered: try Self.dgx(), runs: []), node: "dgx02",
                    by: Self.agent("dgx01"))
            }
            await #expect(throws: ControllerError.self) {
                try await core.heartbeat(AgentHeartbeat(runs: []), node: "dgx01", wait: 0, by: ana)
            }
            await #expect(throws: ControllerError.self) {
                try await core.submit(submit(gpus: 1), by: Self.agent("dgx01"))
            }
        }
    }

    @Test func outputIsAppendedInOrderAndServedToTheOwner() async throws {
        try await withAgentCore { core, _ in
            let me = Self.agent("dgx06")
            _ = try await core.register(
                AgentRegistration(node: "dgx06", discovered: try Self.dgx(), runs: []), node: "dgx06", by: me)
            let job = try await core.submit(submit(gpus: 1), by: ana)
            let run = "\(job.id)"
            #expect(
                try core.appendOutput(node: "dgx06", runId: run, offset: 0, bytes: Data("hello ".utf8), by: me)
                    == .held(6))
            // The same chunk again is ignored; one past the end is refused with where to resume.
            #expect(
                try core.appendOutput(node: "dgx06", runId: run, offset: 0, bytes: Data("hello ".utf8), by: me)
                    == .held(6))
            #expect(
                try core.appendOutput(node: "dgx06", runId: run, offset: 9, bytes: Data("x".utf8), by: me) == .gap(6))
            #expect(
                try core.appendOutput(node: "dgx06", runId: run, offset: 6, bytes: Data("world\n".utf8), by: me)
                    == .held(12))
            let all = try core.output(job: job.id, offset: 0, node: nil, by: ana)
            #expect(String(decoding: all.bytes, as: UTF8.self) == "hello world\n")
            #expect(!all.complete)
            let tail = try core.output(job: job.id, offset: 6, node: nil, by: ana)
            #expect(String(decoding: tail.bytes, as: UTF8.self) == "world\n")
            #expect(throws: ControllerError.self) { try core.output(job: job.id, offset: 0, node: nil, by: bo) }
            _ = try await core.heartbeat(
                AgentHeartbeat(runs: [RunStatus(runId: run, phase: .completed, exitCode: 0)]), node: "dgx06", wait: 0,
                by: me)
            #expect(try core.output(job: job.id, offset: 0, node: nil, by: ana).complete)
        }
    }

    @Test func pendingJobsGetTheStartTheRunningJobsLimitsImply() async throws {
        try await withAgentCore { core, _ in
            for n in ["dgx01", "dgx02", "dgx03", "dgx04", "dgx05", "dgx06"] {
                _ = try await core.register(
                    AgentRegistration(node: n, discovered: try Self.dgx(), runs: []), node: n, by: Self.agent(n))
            }
            // Six whole-node jobs of 1 h, then one more: it can start when the first of them ends.
            var started: [JobView] = []
            for _ in 0..<6 { started.append(try await core.submit(submit(gpus: 8), by: ana)) }
            let waiting = try await core.submit(submit(gpus: 8), by: ana)
            let earliestEnd = started.compactMap { $0.startTime.map { $0 + 3600 } }.min()
            #expect(waiting.state == .pending)
            #expect(try await core.job(waiting.id, by: ana).estimatedStart == earliestEnd)
            #expect(try await core.jobs(state: .pending, by: ana).map(\.estimatedStart) == [earliestEnd])
            // A dry run queues behind it: it gets the node of the second job to end.
            let ends = started.compactMap { $0.startTime.map { $0 + 3600 } }.sorted()
            let dry = try await core.dryRun(submit(gpus: 8), by: ana)
            #expect(dry.allocation == nil)
            #expect(dry.estimatedStart == ends[1])
            #expect(dry.reason?.isEmpty == false)
        }
    }
}
