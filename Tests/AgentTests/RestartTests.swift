import Foundation
import Glibc
import Testing

@testable import Agent

/// A restarted agent (a new launcher over the same state directory) finds its jobs.
@Suite struct RestartTests {
    @Test func aRestartedLauncherAdoptsLiveJobsAndReportsVanishedOnesLost() async throws {
        let dir = try temporaryDirectory("restart")
        defer { try? FileManager.default.removeItem(at: dir) }
        let stateDir = dir.appendingPathComponent("state").path
        let shim = try Repo.execShim()
        let first = try JobLauncher(stateDirectory: stateDir, shimExecutable: shim, gracePeriod: .milliseconds(500))

        // A job that ran and finished: its pid is gone. Rewrite its record as if the agent died while it ran.
        _ = try await first.launch(
            LaunchRequest(jobId: "gone", name: "g", command: ["true"], workingDirectory: dir.path))
        var gone = try #require(await first.wait("gone"))
        #expect(await eventually { !ProcessProbe.isAlive(gone.pid!) })
        gone.state = .running
        gone.endedAt = nil
        gone.exitCode = nil
        try StateDirectory(path: stateDir).save(gone)

        let live = try await first.launch(
            LaunchRequest(jobId: "live", name: "l", command: ["sleep", "300"], workingDirectory: dir.path))

        let second = try JobLauncher(stateDirectory: stateDir, shimExecutable: shim, gracePeriod: .milliseconds(500))
        let recovered = try await second.recover()
        #expect(recovered.map(\.jobId) == ["gone", "live"])
        let lost = try #require(recovered.first { $0.jobId == "gone" })
        #expect(lost.state == .lost)
        #expect(lost.reason?.contains("vanished") == true)
        let adopted = try #require(recovered.first { $0.jobId == "live" })
        #expect(adopted.state == .running)
        #expect(adopted.pid == live.pid)

        // The new launcher can stop the job it adopted.
        await second.cancel("live")
        let stopped = try #require(await second.wait("live"))
        #expect(stopped.state == .cancelled)
        #expect(await eventually { !ProcessProbe.isAlive(live.pid!) })
        #expect(try StateDirectory(path: stateDir).loadAll().first { $0.jobId == "gone" }?.state == .lost)
    }

    @Test func stateFilesAreReplacedAtomicallyAndReadBack() throws {
        let dir = try temporaryDirectory("state")
        defer { try? FileManager.default.removeItem(at: dir) }
        let state = try StateDirectory(path: dir.path)
        var record = JobRecord(
            jobId: "j1", name: "n", command: ["true"], workingDirectory: "/", stdoutPath: "/o", gpus: [1], cpus: [0],
            mems: [0], startedAt: Date(timeIntervalSince1970: 1_000_000), state: .running)
        try state.save(record)
        record.state = .completed
        try state.save(record)
        #expect(try state.loadAll() == [record])
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("jobs").path)
        #expect(files == ["j1.json"])
    }
}
