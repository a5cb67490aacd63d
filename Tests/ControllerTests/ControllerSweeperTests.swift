import Foundation
import Logging
import RasporedAPI
import ServiceLifecycle
import Testing

@testable import Controller
@testable import Scheduler

/// The sweeper as the daemon runs it: a service in a service group, not a loose task.
@Suite struct ControllerSweeperTests {
    /// Polls `check` every 50 ms for up to `seconds`; whether it came true.
    func eventually(within seconds: Double, _ check: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await check() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await check()
    }

    @Test(.timeLimit(.minutes(1))) func inAServiceGroupItDeclaresASilentNodeDown() async throws {
        try await AgentProtocolTests().withAgentCore(downAfter: 0.3) { core, _ in
            _ = try await core.register(
                AgentRegistration(node: "dgx01", discovered: try AgentProtocolTests.dgx(), runs: []), node: "dgx01",
                by: AgentProtocolTests.agent("dgx01"))
            #expect(try await core.node("dgx01").state == .up)
            let group = ServiceGroup(
                services: [ControllerSweeper(core: core, interval: .milliseconds(50))], logger: quietLogger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let down = try await eventually(within: 10) { try await core.node("dgx01").state == .down }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                #expect(down, "the sweeper did not declare the silent node down within 10 s")
            }
            let node = try await core.node("dgx01")
            #expect(node.reason?.contains("no heartbeat") == true)
        }
    }

    @Test(.timeLimit(.minutes(1))) func aGracefulShutdownEndsItsRun() async throws {
        try await AgentProtocolTests().withAgentCore(downAfter: 30) { core, _ in
            // An interval far longer than the test: the shutdown, not the timer, must end the run.
            let group = ServiceGroup(
                services: [ControllerSweeper(core: core, interval: .seconds(3600))], logger: quietLogger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await Task.sleep(for: .milliseconds(100))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
