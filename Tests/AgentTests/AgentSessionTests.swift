import Foundation
import Logging
import RasporedAPI
import Testing

@testable import Agent

/// The connected agent end to end on this machine: real jobs through the launcher, a scripted controller
/// in place of HTTP.
@Suite(.serialized) struct AgentSessionTests {
    let dir: URL
    let controller = ScriptedController()
    let launcher: JobLauncher
    let session: AgentSession

    init() throws {
        dir = try temporaryDirectory("session")
        launcher = try JobLauncher(
            stateDirectory: dir.appendingPathComponent("state").path, shimExecutable: try Repo.execShim(),
            gracePeriod: .milliseconds(500), host: "testhost")
        let node = try DiscoveredNode.discover(.live)
        var configuration = AgentSession.Configuration(node: "testhost", version: "test")
        configuration.tick = .milliseconds(10)
        configuration.shipInterval = .milliseconds(100)
        configuration.backoff = Backoff(initial: .milliseconds(20), maximum: .milliseconds(100))
        configuration.shipper = OutputShipper(chunkSize: 5, chunksPerPass: 2)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        session = AgentSession(
            configuration: configuration, discovered: node, launcher: launcher,
            mapping: AssignmentMapping(node: node, bind: false),
            transport: controller, logger: logger)
    }

    func start() -> Task<Void, any Error> {
        let session = session
        return Task { try await session.run() }
    }

    @Test func aRunsOutputIsCompleteWhenTheControllerHearsItEnded() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        await controller.queue(
            AgentOrders(launch: [
                assignment(
                    "7", "printf 'hello\\n'; while [ ! -e go ]; do sleep 0.02; done; printf 'world, and more\\n'",
                    workdir: dir.path, output: "out-%j.log")
            ]))
        let task = start()
        defer { task.cancel() }
        // Running, with its first line shipped; then it may finish.
        #expect(await eventuallyAsync(within: 20) { await controller.lastStatus("7")?.phase == .running })
        #expect(await eventuallyAsync(within: 20) { await controller.output["7"] == Array("hello\n".utf8) })
        // A slow link, so long polls come and go while the rest is flushed: none may report the end early.
        await controller.setOutputDelay(.milliseconds(100))
        FileManager.default.createFile(atPath: dir.appendingPathComponent("go").path, contents: nil)
        #expect(await eventuallyAsync(within: 20) { await controller.firstFinalBeat("7") != nil })
        let beat = try #require(await controller.firstFinalBeat("7"))
        let final = try #require(beat.runs.first { $0.runId == "7" })
        let text = "hello\nworld, and more\n"
        #expect(final.phase == .completed)
        #expect(final.exitCode == 0)
        #expect(final.outputShipped == Int64(text.utf8.count))
        // What the controller held when it first heard of the end: all of it.
        #expect(beat.outputHeld["7"] == Array(text.utf8))
        #expect(try String(contentsOfFile: dir.appendingPathComponent("out-7.log").path, encoding: .utf8) == text)

        // Acknowledged: no longer reported, its record gone from the state directory.
        await controller.queue(AgentOrders(acknowledged: ["7"]))
        #expect(await eventuallyAsync(within: 20) { await !session.statuses.contains { $0.runId == "7" } })
        #expect(await launcher.record("7") == nil)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("state/jobs/7.json").path))
        // The saved offsets drop it too (written by the session's next save, not with the acknowledgement).
        let offsetsFile = dir.appendingPathComponent("state/output-shipped.json")
        #expect(
            await eventuallyAsync(within: 20) {
                guard let data = try? Data(contentsOf: offsetsFile) else { return false }
                return (try? JSONDecoder().decode([String: Int64].self, from: data))?["7"] == nil
            })
    }

    @Test func aStopEndsTheRunAndARepeatedLaunchStartsNothing() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = assignment("8", "echo up; exec sleep 30", workdir: dir.path)
        await controller.queue(AgentOrders(launch: [a]))
        let task = start()
        defer { task.cancel() }
        #expect(await eventuallyAsync(within: 20) { await controller.lastStatus("8")?.phase == .running })
        // Stopped once it has surely started its command (a stop may come before, but then it prints nothing).
        #expect(await eventuallyAsync(within: 20) { await controller.output["8"] == Array("up\n".utf8) })
        let pid = try #require(await controller.lastStatus("8")?.pid)
        await controller.queue(
            AgentOrders(launch: [a], stop: [StopOrder(runId: "8", why: .cancel, message: "cancelled by ana")]))
        #expect(await eventuallyAsync(within: 20) { await controller.lastStatus("8")?.phase == .stopped })
        let stopped = try #require(await controller.lastStatus("8"))
        #expect(stopped.reason == "cancelled by ana")
        #expect(stopped.pid == pid)
        #expect(stopped.signal == SIGTERM)
        #expect(await launcher.jobs().count == 1)
        #expect(stopped.outputShipped == 3)
    }

    @Test func aLaunchThatCannotStartIsReportedLaunchFailed() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        await controller.queue(
            AgentOrders(launch: [
                assignment("9", "true", workdir: dir.path, allocation: allocation(cores: [100_000])),
                assignment("10", "true", workdir: dir.appendingPathComponent("missing").path),
            ]))
        let task = start()
        defer { task.cancel() }
        #expect(
            await eventuallyAsync(within: 20) {
                let nine = await controller.lastStatus("9")?.phase
                let ten = await controller.lastStatus("10")?.phase
                return nine == .launchFailed && ten == .launchFailed
            })
        #expect(await controller.lastStatus("9")?.reason?.contains("core 100000 is not on this node") == true)
        // raspored-exec enters the working directory (as the job's user) before it opens the output there.
        #expect(
            await controller.lastStatus("10")?.reason
                == "cannot enter working directory \(dir.appendingPathComponent("missing").path): No such file or directory (errno 2)"
        )
    }

    @Test func afterAnOutageAndOnReregisterTheAgentRegistersAgainWithItsRuns() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        await controller.queue(AgentOrders(launch: [assignment("11", "exec sleep 30", workdir: dir.path)]))
        let task = start()
        defer { task.cancel() }
        #expect(await eventuallyAsync(within: 20) { await controller.lastStatus("11")?.phase == .running })
        #expect(await controller.registrations.count == 1)

        await controller.setDown(true)
        #expect(await eventuallyAsync(within: 20) { await controller.failedCalls >= 3 })
        await controller.setDown(false)
        #expect(await eventuallyAsync(within: 20) { await controller.registrations.count == 2 })
        let again = try #require(await controller.registrations.last)
        #expect(again.runs.map(\.runId) == ["11"])
        #expect(again.runs.first?.phase == .running)

        await controller.queue(AgentOrders(reregister: true))
        #expect(await eventuallyAsync(within: 20) { await controller.registrations.count == 3 })
        #expect(await controller.registrations.last?.runs.map(\.runId) == ["11"])

        await controller.queue(AgentOrders(stop: [StopOrder(runId: "11", why: .cancel, message: "done")]))
        #expect(await eventuallyAsync(within: 20) { await controller.lastStatus("11")?.phase == .stopped })
    }

    /// A restarted agent adopts its running run and reports it in its first registration.
    @Test func aNewSessionOverTheSameStateReportsTheLiveRun() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        await controller.queue(AgentOrders(launch: [assignment("12", "echo first; exec sleep 30", workdir: dir.path)]))
        let task = start()
        #expect(await eventuallyAsync(within: 20) { await controller.output["12"] == Array("first\n".utf8) })
        task.cancel()
        _ = await task.result

        let next = ScriptedController()
        let launcher2 = try JobLauncher(
            stateDirectory: dir.appendingPathComponent("state").path, shimExecutable: try Repo.execShim(),
            gracePeriod: .milliseconds(500), host: "testhost")
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let session2 = AgentSession(
            configuration: session.configuration, discovered: session.discovered, launcher: launcher2,
            mapping: session.mapping, transport: next, logger: logger)
        let task2 = Task { try await session2.run() }
        defer { task2.cancel() }
        #expect(await eventuallyAsync(within: 20) { await next.registrations.count == 1 })
        let registration = try #require(await next.registrations.first)
        #expect(registration.runs.map(\.runId) == ["12"])
        #expect(registration.runs.first?.phase == .running)
        // The offset saved by the first session: the output is not sent again.
        #expect(registration.runs.first?.outputShipped == 6)
        await next.queue(AgentOrders(stop: [StopOrder(runId: "12", why: .cancel, message: "bye")]))
        #expect(await eventuallyAsync(within: 20) { await next.lastStatus("12")?.phase == .stopped })
        #expect(await next.outputCalls.isEmpty)
    }

    @Test func aControllerThatRefusesTheFirstRegistrationEndsTheSession() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        struct Refusing: ControllerTransport {
            func register(_ r: AgentRegistration) async throws -> AgentRegistrationReply {
                throw ControllerCallError.rejected(status: 401, message: "unknown token")
            }
            func heartbeat(_ h: AgentHeartbeat, wait: Double) async throws -> AgentOrders { AgentOrders() }
            func sendOutput(runId: String, offset: Int64, bytes: [UInt8]) async throws -> OutputReply { .accepted }
        }
        let refused = AgentSession(
            configuration: session.configuration, discovered: session.discovered, launcher: launcher,
            mapping: session.mapping, transport: Refusing(), logger: Logger(label: "test"))
        await #expect(throws: ControllerCallError.rejected(status: 401, message: "unknown token")) {
            try await refused.run()
        }
    }
}
