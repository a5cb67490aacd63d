import Foundation
import Glibc
import RasporedAPI
import Synchronization
import Testing

@testable import Agent
@testable import Scheduler

/// A run's own controls on real processes: a warning signal before the time limit, signals sent while it runs,
/// its own kill grace, output opened to truncate or append, and Slurm's variables in its environment.
@Suite(.serialized) struct LaunchControlTests {
    let dir: URL
    let launcher: JobLauncher

    init() throws {
        dir = try temporaryDirectory("launch-control")
        launcher = try JobLauncher(
            stateDirectory: dir.appendingPathComponent("state").path, shimExecutable: try Repo.execShim(),
            gracePeriod: .milliseconds(300), host: "testhost")
    }

    func request(_ id: String, _ script: String) -> LaunchRequest {
        LaunchRequest(jobId: id, name: "test-\(id)", command: ["/bin/sh", "-c", script], workingDirectory: dir.path)
    }

    func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    @Test func theWarningSignalComesBeforeTheTimeLimitAndTheJobCanActOnIt() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        // The job writes a checkpoint when SIGUSR1 comes and exits; its limit is 30 s, the warning 29 s before.
        var r = request(
            "warn", "trap 'echo checkpoint; exit 0' USR1; echo ready; while :; do sleep 0.1; done")
        r.timeLimit = .seconds(30)
        r.warning = WarningSignal(signal: SIGUSR1, secondsBefore: 29)
        _ = try await launcher.launch(r)
        let done = try #require(await launcher.wait("warn"))
        #expect(read(done.stdoutPath).contains("checkpoint"))
        // It ended by itself, on the warning: not at its time limit.
        #expect(done.state == .completed)
        #expect(done.exitCode == 0)
    }

    @Test func aBatchOnlySignalReachesTheScriptButNotItsChildren() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        // The child ignores nothing: were it signalled with USR2 (default action: terminate), it would die.
        let r = request(
            "batch",
            "trap 'echo script-got-usr2' USR2; sleep 30 & child=$!; echo ready; "
                + "while kill -0 $child 2>/dev/null; do sleep 0.1; if grep -q script-got-usr2 \(dir.path)/raspored-batch.out; then "
                + "echo child-alive; kill $child; fi; done; exit 0")
        let started = try await launcher.launch(r)
        #expect(await eventually { read(started.stdoutPath).contains("ready") })
        #expect(await launcher.signal("batch", SIGUSR2, batchOnly: true))
        let done = try #require(await launcher.wait("batch"))
        let out = read(done.stdoutPath)
        #expect(out.contains("script-got-usr2"))
        #expect(out.contains("child-alive"))
        #expect(done.state == .completed)
    }

    @Test func aSignalToTheWholeJobReachesEveryProcessAndANotRunningJobIsNotSignalled() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = request("all", "sleep 30 & echo ready; wait; echo child-ended-$?")
        let started = try await launcher.launch(r)
        #expect(await eventually { read(started.stdoutPath).contains("ready") })
        // SIGUSR2 ends both the shell and its sleeping child (neither handles it).
        #expect(await launcher.signal("all", SIGUSR2))
        let done = try #require(await launcher.wait("all"))
        #expect(done.signal == SIGUSR2)
        #expect(done.state == .failed)
        #expect(await launcher.signal("all", SIGUSR2) == false)
        #expect(await launcher.signal("no-such-run", SIGUSR2) == false)
    }

    @Test func aHoldRunIsNotSignalledButWhatRunsBesideItIs() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        // A multi-node job's other nodes hold their share with RunAssignment.holdCommand; their steps run
        // beside it. A signal for the job is for its steps there, not for the placeholder.
        let hold = LaunchRequest(
            jobId: "hold", name: "h", command: RunAssignment.holdCommand, workingDirectory: dir.path)
        let calls = Mutex<[String]>([])
        await launcher.alsoSignal { id, signal in calls.withLock { $0.append("\(id):\(signal)") } }
        _ = try await launcher.launch(hold)
        #expect(await launcher.signal("hold", SIGUSR1))
        #expect(calls.withLock { $0 } == ["hold:\(SIGUSR1)"])
        // SIGUSR1 would have ended `sleep`; it is still running.
        try await Task.sleep(for: .milliseconds(300))
        #expect(await launcher.record("hold")?.state == .running)
        // The batch script alone: there is none on this node.
        #expect(await launcher.signal("hold", SIGUSR1, batchOnly: true) == false)
        #expect(calls.withLock { $0 }.count == 1)
        await launcher.cancel("hold")
        #expect(await launcher.wait("hold")?.state == .cancelled)
    }

    @Test func aRunsOwnKillGraceLetsItFinishCleaningUp() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        // The launcher's grace is 0.3 s; this run's is 20 s, and it needs about 1 s to clean up after SIGTERM.
        var r = request("grace", "trap 'sleep 1; echo cleaned; exit 0' TERM; echo ready; while :; do sleep 0.1; done")
        r.killGrace = .seconds(20)
        let started = try await launcher.launch(r)
        #expect(await eventually { read(started.stdoutPath).contains("ready") })
        await launcher.cancel("grace")
        let done = try #require(await launcher.wait("grace"))
        #expect(read(done.stdoutPath).contains("cleaned"))
        #expect(done.state == .cancelled)
        #expect(done.exitCode == 0)
        // Without its own grace the launcher's 0.3 s applies: SIGKILL before the clean-up ends (10 s here, so
        // that a machine busy enough to delay the kill by a second still shows it).
        let short = request(
            "short", "trap 'sleep 10; echo cleaned; exit 0' TERM; echo ready; while :; do sleep 0.1; done")
        let s = try await launcher.launch(short)
        #expect(await eventually { read(s.stdoutPath).contains("ready") })
        await launcher.cancel("short")
        let killed = try #require(await launcher.wait("short"))
        #expect(!read(killed.stdoutPath).contains("cleaned"))
        #expect(killed.signal == SIGKILL)
    }

    @Test func outputIsTruncatedOrAppendedAsAsked() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("shared.out").path
        try "earlier run\n".write(toFile: path, atomically: true, encoding: .utf8)
        var append = request("append", "echo appended")
        append.output = "shared.out"
        _ = try await launcher.launch(append)
        _ = await launcher.wait("append")
        #expect(read(path) == "earlier run\nappended\n")
        var truncate = request("truncate", "echo alone")
        truncate.output = "shared.out"
        truncate.truncateOutput = true
        _ = try await launcher.launch(truncate)
        _ = await launcher.wait("truncate")
        #expect(read(path) == "alone\n")
    }

    @Test func slurmsVariablesDescribeTheJobAndThisNode() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        var r = request("77", "env")
        r.userJobId = "77"
        r.name = "bert"
        r.gpus = [2, 3]
        r.cpus = BindingShim.allowedCPUs()
        r.nodeList = ["dgx01", "dgx02", "dgx03", "dgx05"]
        r.nodeRank = 2
        r.memoryLimitBytes = 64 << 30
        _ = try await launcher.launch(r)
        let done = try #require(await launcher.wait("77"))
        let lines = Set(read(done.stdoutPath).split(separator: "\n").map(String.init))
        let cpus = BindingShim.allowedCPUs().count
        for expected in [
            "SLURM_JOB_ID=77", "SLURM_JOBID=77", "SLURM_JOB_NAME=bert", "SLURM_JOB_NODELIST=dgx[01-03,05]",
            "SLURM_NODELIST=dgx[01-03,05]", "SLURM_JOB_NUM_NODES=4", "SLURM_NNODES=4", "SLURM_NODEID=2",
            "SLURM_PROCID=2", "SLURM_LOCALID=0", "SLURM_NTASKS=4", "SLURM_TASKS_PER_NODE=1(x4)",
            "SLURMD_NODENAME=testhost", "SLURM_GPUS_ON_NODE=2", "SLURM_JOB_GPUS=2,3", "SLURM_CPUS_ON_NODE=\(cpus)",
            "SLURM_CPUS_PER_TASK=\(cpus)", "SLURM_MEM_PER_NODE=65536",
        ] {
            #expect(lines.contains(expected), "\(expected)")
        }
    }
}
