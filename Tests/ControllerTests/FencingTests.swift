import Agent
import Foundation
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// The controller's half of fencing: its margins' relations, the lease terms it gives agents, and a run its
/// agent stopped for want of a lease requeued like a lost node's.
@Suite struct FencingSettingsTests {
    @Test func theDefaultsHoldTheRelationsAndAControllerRestartOfMinutesStopsNothing() {
        let d = ControllerSettings()
        #expect(d.fencingProblems.isEmpty, "\(d.fencingProblems)")
        #expect(d.leaseSeconds >= 300)
        #expect(d.downAfterSeconds >= d.leaseSeconds + d.killGraceSeconds + d.heartbeatSeconds)
        #expect(d.leaseSeconds >= 2 * d.heartbeatSeconds)
    }

    @Test func eachBrokenRelationIsNamedWithItsFlags() {
        var s = ControllerSettings(heartbeatSeconds: 5, downAfterSeconds: 330, leaseSeconds: 8, killGraceSeconds: 10)
        #expect(s.fencingProblems.count == 1)
        #expect(s.fencingProblems.first?.contains("--lease (8s) must be at least twice --heartbeat (5s)") == true)

        s = ControllerSettings(heartbeatSeconds: 5, downAfterSeconds: 314, leaseSeconds: 300, killGraceSeconds: 10)
        #expect(s.fencingProblems.count == 1)
        #expect(
            s.fencingProblems.first?.contains(
                "--down-after (314s) must be at least --lease + --kill-grace + --heartbeat (300s + 10s + 5s = 315s)")
                == true, "\(s.fencingProblems)")
        s.downAfterSeconds = 315
        #expect(s.fencingProblems.isEmpty)

        s = ControllerSettings(heartbeatSeconds: 0, downAfterSeconds: 30, leaseSeconds: 0, killGraceSeconds: -1)
        #expect(s.fencingProblems.count == 3)
        #expect(s.fencingProblems.contains { $0.contains("--heartbeat must be longer than 0s") })
        #expect(s.fencingProblems.contains { $0.contains("--kill-grace must not be negative") })
    }

    @Test func schedulerdRefusesToStartWithMarginsThatCouldRunAJobTwice() throws {
        let schedulerd = try executable("schedulerd")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("raspored-fencing-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: schedulerd)
        p.arguments = [
            "--state", dir.path, "--heartbeat", "5s", "--lease", "60s", "--kill-grace", "10s", "--down-after", "30s",
        ]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus != 0)
        #expect(text.contains("--down-after (30s) must be at least --lease + --kill-grace + --heartbeat"), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("admin.token").path))
    }
}

@Suite struct FencingProtocolTests {
    func withCore<T>(_ body: (ControllerCore, StateStore) async throws -> T) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("raspored-fence-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try StateStore(directory: dir, create: true)
        let settings = ControllerSettings(
            requireAgents: true, heartbeatSeconds: 1, downAfterSeconds: 30, leaseSeconds: 20, killGraceSeconds: 3,
            outputDirectory: dir + "/output")
        let core = try ControllerCore(
            spec: try platformSpec(), store: store, settings: settings, logger: quietLogger,
            clock: ControllerCore.wallClock)
        return try await body(core, store)
    }

    @Test func theRegistrationReplyCarriesTheLeaseAndKillGrace() async throws {
        try await withCore { core, _ in
            let reply = try await core.register(
                AgentRegistration(node: "dgx01", discovered: try AgentProtocolTests.dgx(), runs: []), node: "dgx01",
                by: AgentProtocolTests.agent("dgx01"))
            #expect(reply.leaseSeconds == 20)
            #expect(reply.killGraceSeconds == 3)
            // Old agents decode it; old controllers' replies (without the fields) decode here.
            var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(reply)) as! [String: Any]
            json["leaseSeconds"] = nil
            json["killGraceSeconds"] = nil
            let old = try JSONDecoder().decode(
                AgentRegistrationReply.self, from: JSONSerialization.data(withJSONObject: json))
            #expect(old.leaseSeconds == nil)
            #expect(old.heartbeatSeconds == 1)
        }
    }

    @Test func aRunItsAgentStoppedForWantOfALeaseIsRequeuedNotFailed() async throws {
        try await withCore { core, store in
            let me = AgentProtocolTests.agent("dgx02")
            _ = try await core.register(
                AgentRegistration(node: "dgx02", discovered: try AgentProtocolTests.dgx(), runs: []), node: "dgx02",
                by: me)
            let job = try await core.submit(submit(gpus: 8), by: ana)
            let run = "\(job.id)"
            _ = try await core.heartbeat(
                AgentHeartbeat(runs: [RunStatus(runId: run, phase: .running, pid: 7)]), node: "dgx02", wait: 0, by: me)
            let o = try await core.heartbeat(
                AgentHeartbeat(runs: [
                    RunStatus(
                        runId: run, phase: .stopped, signal: 15, reason: "no word from the controller for 20 s (lease)")
                ]), node: "dgx02", wait: 0, by: me)
            let after = try #require(try store.job(job.id))
            #expect(after.requeueCount == 1)
            // Requeued: running again as run ID.1 (on another node or this one), never failed.
            #expect(after.state == .pending || after.state == .running, "\(after.state)")
            #expect(o.acknowledged == [run])
        }
    }

    @Test func aStoppedRunThatWasAskedToStopStillEndsAsCancelled() async throws {
        try await withCore { core, store in
            let me = AgentProtocolTests.agent("dgx03")
            _ = try await core.register(
                AgentRegistration(node: "dgx03", discovered: try AgentProtocolTests.dgx(), runs: []), node: "dgx03",
                by: me)
            let job = try await core.submit(submit(gpus: 8), by: ana)
            let run = "\(job.id)"
            _ = try await core.heartbeat(
                AgentHeartbeat(runs: [RunStatus(runId: run, phase: .running)]), node: "dgx03", wait: 0, by: me)
            _ = try await core.cancel(job.id, by: ana)
            _ = try await core.heartbeat(
                AgentHeartbeat(runs: [RunStatus(runId: run, phase: .stopped, signal: 15)]), node: "dgx03", wait: 0,
                by: me)
            #expect(try store.job(job.id)?.state == .cancelled)
            #expect(try store.job(job.id)?.requeueCount == 0)
        }
    }
}

/// An executable built beside the test binary.
private func executable(_ name: String) throws -> String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    while dir.path.contains(".xctest") { dir.deleteLastPathComponent() }
    let path = dir.appendingPathComponent(name).path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw MissingExecutable(
            description: "no \(name) beside the tests (\(path)); build with `swift build --build-tests`")
    }
    return path
}

private struct MissingExecutable: Error, CustomStringConvertible { var description: String }
