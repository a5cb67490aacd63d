import Agent
import Foundation
import RasporedAPI
import Synchronization
import Testing

@testable import Controller
@testable import Scheduler

/// The moment a pass decides at: that of the event calling for it (as the simulator's pass at that event),
/// unless the pass comes more than a second after it. The jobs it starts are recorded as started then.
@Suite struct DecisionTimeTests {
    @Test func aPassJustAfterASecondTurnedDecidesAtItsEvent() {
        let released = Timestamp(millis: 1_796_000_006_998)
        #expect(ControllerCore.decisionTime(event: released, wall: Timestamp(millis: 1_796_000_007_004)) == released)
        #expect(ControllerCore.decisionTime(event: released, wall: Timestamp(millis: 1_796_000_007_998)) == released)
    }

    @Test func aPassMoreThanASecondLateOrWithoutAnEventDecidesAtTheWallClock() {
        let released = Timestamp(millis: 1_796_000_006_998)
        let late = Timestamp(millis: 1_796_000_007_999)
        #expect(ControllerCore.decisionTime(event: released, wall: late) == late)
        #expect(ControllerCore.decisionTime(event: nil, wall: late) == late)
    }

    /// A controller over a fresh store with dgx01's agent registered, on a clock a millisecond further on at
    /// every reading (a pass always reads a later time than its event).
    func withTickingCore(_ body: (ControllerCore, StateStore, Principal) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("raspored-decided-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try StateStore(directory: dir, create: true)
        let settings = ControllerSettings(requireAgents: true, outputDirectory: dir + "/output")
        let ticks = Mutex<Int64>(1_796_000_000_000)
        let core = try ControllerCore(
            spec: try platformSpec(), store: store, settings: settings, logger: quietLogger,
            millisClock: {
                ticks.withLock {
                    $0 += 1
                    return $0
                }
            })
        let agent = Principal(tokenId: 9, user: "agent-dgx01", role: .agent, node: "dgx01")
        _ = try await core.register(
            AgentRegistration(node: "dgx01", discovered: try AgentProtocolTests.dgx(), runs: []), node: "dgx01",
            by: agent)
        try await body(core, store, agent)
    }

    @Test func aJobStartsAtItsSubmissionOrAtTheReleaseThatMadeRoomForIt() async throws {
        try await withTickingCore { core, store, agent in
            // Room at once: started at its submission's millisecond, not at the later one its pass read.
            let first = try await core.submit(submit(gpus: 8), by: ana)
            let running = try #require(await core.live[first.id])
            #expect(running.state == .running)
            #expect(running.startMillis == running.submitMillis)

            // Room once the first ends: started at the millisecond its GPUs were released.
            let second = try await core.submit(submit(gpus: 8), by: ana)
            #expect(second.state == .pending)
            _ = try await core.heartbeat(
                AgentHeartbeat(runs: [RunStatus(runId: "\(first.id)", phase: .completed, exitCode: 0)]), node: "dgx01",
                wait: 0, by: agent)
            await core.durable()
            let ended = try #require(try store.job(first.id))
            let started = try #require(await core.live[second.id])
            #expect(started.state == .running)
            #expect(started.startMillis != nil && started.startMillis == ended.releasedMillis)
        }
    }

    @Test func theEndsOfOneHeartbeatAreReleasedAtOneMillisecond() async throws {
        try await withTickingCore { core, store, agent in
            let a = try await core.submit(submit(gpus: 4), by: ana)
            let b = try await core.submit(submit(gpus: 4), by: ana)
            let big = try await core.submit(submit(gpus: 8), by: ana)
            #expect([a.state, b.state, big.state] == [.running, .running, .pending])
            _ = try await core.heartbeat(
                AgentHeartbeat(runs: [
                    RunStatus(runId: "\(a.id)", phase: .completed, exitCode: 0),
                    RunStatus(runId: "\(b.id)", phase: .completed, exitCode: 0),
                ]), node: "dgx01", wait: 0, by: agent)
            await core.durable()
            let released = try [a.id, b.id].map { try #require(try store.job($0)?.releasedMillis) }
            #expect(released[0] == released[1])
            #expect(await core.live[big.id]?.startMillis == released[0])
        }
    }
}
