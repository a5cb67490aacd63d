import Foundation
import Glibc
import Subprocess
import SystemPackage
import Testing

@testable import Agent

/// Polls an async `condition` every 10 ms until it holds or `seconds` pass.
func eventuallyAsync(within seconds: Double = 5, _ condition: () async -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

/// The one record in a state directory, once it has a pid.
private func startedRecord(_ stateDir: String) -> JobRecord? {
    guard let record = try? StateDirectory(path: stateDir).loadAll().first, record.pid != nil else { return nil }
    return record
}

/// `schedagent run-local` as a real process that the test signals, and the job it leaves behind.
@Suite struct AgentSignalTests {
    @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
    func aSignalToRunLocalCancelsTheWholeJob(_ signalNumber: Int32) async throws {
        let dir = try temporaryDirectory("signal")
        defer { try? FileManager.default.removeItem(at: dir) }
        let stateDir = dir.appendingPathComponent("state").path
        let marker = dir.appendingPathComponent("started").path
        let result = try await Subprocess.run(
            .path(FilePath(try Repo.schedagent())),
            arguments: [
                "run-local", "--job-id", "sig", "--state-dir", stateDir, "--output", "job.out", "--",
                "sh", "-c", "sleep 30 & echo started > started; wait",
            ],
            workingDirectory: FilePath(dir.path), input: .none, output: .discarded, error: .discarded
        ) { execution -> (group: Int32?, agentEnded: Bool) in
            let agent = execution.processIdentifier.value
            var job: JobRecord?
            let started = await eventually(within: 10) {
                job = startedRecord(stateDir)
                return job != nil && FileManager.default.fileExists(atPath: marker)
            }
            guard started else {
                kill(agent, SIGKILL)
                return (job?.processGroup, false)
            }
            kill(agent, signalNumber)
            let ended = await eventually(within: 10) { !ProcessProbe.isAlive(agent) }
            if !ended { kill(agent, SIGKILL) }
            return (job?.processGroup, ended)
        }
        let group = try #require(result.closureResult.group)
        defer { kill(-group, SIGKILL) }
        #expect(result.closureResult.agentEnded)
        #expect(await eventually { !ProcessProbe.groupIsAlive(group) })
        let record = try #require(try StateDirectory(path: stateDir).loadAll().first)
        #expect(record.state == .cancelled)
        #expect(record.reason?.contains("the agent received SIG") == true)
    }
}

/// The launcher's own lifecycle edges: a cancel while launching, a restart with the agent really killed.
@Suite struct LauncherLifecycleTests {
    @Test func aCancelWhileTheJobIsStillLaunchingIsNotLost() async throws {
        let dir = try temporaryDirectory("cancel-launch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let launcher = try JobLauncher(
            stateDirectory: dir.appendingPathComponent("state").path, shimExecutable: try Repo.execShim(),
            gracePeriod: .milliseconds(500))
        // The window between "record made" and "process started" is short: try until a cancel lands in it.
        var caught = false
        for attempt in 0..<400 where !caught {
            let id = "launching-\(attempt)"
            let launching = Task {
                try await launcher.launch(
                    LaunchRequest(jobId: id, name: "l", command: ["sleep", "300"], workingDirectory: dir.path))
            }
            let seen = await eventuallyAsync(within: 5) { await launcher.record(id) != nil }
            if seen, await launcher.record(id)?.pid == nil {
                await launcher.cancel(id)
                caught = true
            }
            let started = try await launching.value
            if !caught {
                await launcher.cancel(id)
                _ = await launcher.wait(id)
                continue
            }
            let ended = await eventuallyAsync(within: 5) { await launcher.record(id)?.state.isFinal == true }
            if !ended, let group = started.processGroup { kill(-group, SIGKILL) }
            #expect(ended, "a cancel during launch must stop the job")
            #expect(await launcher.record(id)?.state == .cancelled)
        }
        #expect(caught, "never caught the job between launch and start")
    }

    @Test func aCorruptStateRecordIsNamedAndMovedAsideAndTheRestLoad() throws {
        let dir = try temporaryDirectory("corrupt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let state = try StateDirectory(path: dir.path)
        let good = JobRecord(
            jobId: "good", name: "n", command: ["true"], workingDirectory: "/", stdoutPath: "/o", gpus: [], cpus: [],
            mems: [], startedAt: Date(timeIntervalSince1970: 1_000_000), state: .completed)
        try state.save(good)
        let jobs = dir.appendingPathComponent("jobs")
        try Data("{ not json".utf8).write(to: jobs.appendingPathComponent("bad.json"))
        #expect(try state.loadAll() == [good])
        let files = try FileManager.default.contentsOfDirectory(atPath: jobs.path).sorted()
        #expect(files == ["bad.json.corrupt", "good.json"])
    }

    /// A real `schedagent run-local` is SIGKILLed (the agent, not its jobs); a new launcher over its state
    /// directory adopts the jobs, re-arms their time limits, and its cancel reaches the whole group.
    @Test func aKilledAgentsJobsAreAdoptedByTheNextOne() async throws {
        let dir = try temporaryDirectory("agent-killed")
        defer { try? FileManager.default.removeItem(at: dir) }
        let agent = try Repo.schedagent()
        // The leader waits; a child in its group traps TERM and leaves a marker.
        let trapping =
            #"sh -c 'trap "echo term > child-term; exit 0" TERM; echo ready > ready; while :; do sleep 0.1; done' & wait"#
        let cancelled = try await startAndKillAgent(
            agent, dir: dir, name: "cancel", extra: [], command: ["sh", "-c", trapping], ready: "ready")
        let timed = try await startAndKillAgent(
            agent, dir: dir, name: "timed", extra: ["--time", "4s"], command: ["sleep", "300"], ready: nil)
        defer {
            for group in [cancelled.processGroup, timed.processGroup].compactMap({ $0 }) { kill(-group, SIGKILL) }
        }

        let next = try JobLauncher(
            stateDirectory: dir.appendingPathComponent("state-cancel").path, shimExecutable: try Repo.execShim(),
            gracePeriod: .seconds(5))
        let adopted = try #require(try await next.recover().first)
        #expect(adopted.state == .running)
        #expect(adopted.pid == cancelled.pid)
        await next.cancel("cancel")
        #expect(await eventuallyAsync(within: 5) { await next.record("cancel")?.state == .cancelled })
        #expect(
            await eventually { FileManager.default.fileExists(atPath: dir.appendingPathComponent("child-term").path) })
        #expect(await eventually { !ProcessProbe.groupIsAlive(cancelled.processGroup!) })

        let other = try JobLauncher(
            stateDirectory: dir.appendingPathComponent("state-timed").path, shimExecutable: try Repo.execShim(),
            gracePeriod: .seconds(1))
        let adoptedTimed = try #require(try await other.recover().first)
        // Adopted with its deadline re-armed; on a loaded machine the deadline may already have passed, and
        // then recovery stops it at once. Either way the limit is enforced and the group ends.
        #expect(adoptedTimed.state == .running || adoptedTimed.state == .timedOut)
        #expect(adoptedTimed.deadline != nil)
        #expect(await eventuallyAsync(within: 10) { await other.record("timed")?.state == .timedOut })
        #expect(await eventually { !ProcessProbe.groupIsAlive(timed.processGroup!) })
    }

    @Test func aLostLeadersSurvivingGroupIsKilledOnRecovery() async throws {
        let dir = try temporaryDirectory("leader-lost")
        defer { try? FileManager.default.removeItem(at: dir) }
        let agent = try Repo.schedagent()
        let job = try await startAndKillAgent(
            agent, dir: dir, name: "torch", extra: [],
            command: ["sh", "-c", "sleep 300 & echo ready > ready; wait"], ready: "ready")
        let group = try #require(job.processGroup)
        defer { kill(-group, SIGKILL) }
        kill(try #require(job.pid), SIGKILL)  // the leader only; its worker stays
        #expect(await eventually { !ProcessProbe.isAlive(job.pid!) })
        #expect(ProcessProbe.groupIsAlive(group))

        let next = try JobLauncher(
            stateDirectory: dir.appendingPathComponent("state-torch").path, shimExecutable: try Repo.execShim())
        let lost = try #require(try await next.recover().first)
        #expect(lost.state == .lost)
        #expect(lost.reason?.contains("process group was killed") == true)
        #expect(await eventually { !ProcessProbe.groupIsAlive(group) })
    }
}

/// Runs `schedagent run-local` with state in `dir/state-<name>`, waits until the job runs (and has written
/// `ready`, when given), then SIGKILLs the agent and returns the job's record.
private func startAndKillAgent(
    _ agent: String, dir: URL, name: String, extra: [String], command: [String], ready: String?
) async throws -> JobRecord {
    let stateDir = dir.appendingPathComponent("state-\(name)").path
    let result = try await Subprocess.run(
        .path(FilePath(agent)),
        arguments: Arguments(
            ["run-local", "--job-id", name, "--state-dir", stateDir, "--output", "\(name).out"] + extra + ["--"]
                + command),
        workingDirectory: FilePath(dir.path), input: .none, output: .discarded, error: .discarded
    ) { execution -> JobRecord? in
        var job: JobRecord?
        _ = await eventually(within: 10) {
            job = startedRecord(stateDir)
            return job != nil
                && ready.map { FileManager.default.fileExists(atPath: dir.appendingPathComponent($0).path) } ?? true
        }
        kill(execution.processIdentifier.value, SIGKILL)
        return job
    }
    return try #require(result.closureResult, "job \(name) did not start")
}
