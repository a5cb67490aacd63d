import Foundation
import Glibc
import RasporedAPI
import Subprocess
import SystemPackage
import Testing

@testable import Agent

/// Real processes on this machine's real CPUs: binding, environment, output, exit, cancel, time limit.
@Suite(.serialized) struct LaunchTests {
    let dir: URL
    let launcher: JobLauncher

    init() throws {
        dir = try temporaryDirectory("launch")
        launcher = try JobLauncher(
            stateDirectory: dir.appendingPathComponent("state").path, shimExecutable: try Repo.execShim(),
            gracePeriod: .milliseconds(500), host: "testhost")
    }

    func request(_ id: String, _ script: String) -> LaunchRequest {
        LaunchRequest(jobId: id, name: "test-\(id)", command: ["/bin/sh", "-c", script], workingDirectory: dir.path)
    }

    func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    @Test func bindsToOneCPUAndItsNUMANodeBeforeTheJobRuns() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let cpu = try #require(BindingShim.allowedCPUs().last)
        let node = try DiscoveredNode.discover(.live)
        let numa = try #require(node.numaNodes.first { $0.cpus.contains(cpu) }?.index)
        var r = request("bind", "echo ready; exec sleep 30")
        r.cpus = [cpu]
        r.mems = [numa]
        let started = try await launcher.launch(r)
        let pid = try #require(started.pid)
        #expect(await eventually { read(started.stdoutPath).contains("ready") })
        #expect(ProcessProbe.status(pid, "Cpus_allowed_list") == "\(cpu)")
        // set_mempolicy does not change the cpuset's Mems_allowed; the bind policy shows in numa_maps.
        #expect(
            ProcessProbe.status(pid, "Mems_allowed_list")?.split(separator: ",").contains { $0 == "\(numa)" } == true
                || ProcessProbe.status(pid, "Mems_allowed_list") == "\(numa)")
        let maps = read("/proc/\(pid)/numa_maps")
        #expect(maps.contains("bind:\(numa) "))
        await launcher.cancel("bind")
        let done = try #require(await launcher.wait("bind"))
        #expect(done.state == .cancelled)
    }

    @Test func environmentWorkingDirectoryAndSeparateStderr() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        var r = request("env7", "pwd; env; echo to-stderr >&2; exit 7")
        r.gpus = [0, 1]
        r.cpus = BindingShim.allowedCPUs()
        r.coreCount = 1
        r.nics = ["mlx5_0", "mlx5_3"]
        r.nodeList = ["dgx01", "dgx02"]
        r.nodeRank = 1
        r.output = "out-%j-%x.log"
        r.error = "err-%j.log"
        _ = try await launcher.launch(r)
        let done = try #require(await launcher.wait("env7"))
        #expect(done.state == .failed)
        #expect(done.exitCode == 7)
        #expect(done.signal == nil)
        #expect(done.stdoutPath == dir.appendingPathComponent("out-env7-test-env7.log").path)
        let out = read(done.stdoutPath)
        let lines = Set(out.split(separator: "\n").map(String.init))
        #expect(out.hasPrefix(dir.path + "\n") || out.hasPrefix(dir.resolvingSymlinksInPath().path + "\n"))
        let port = JobEnvironment.defaultMasterPort(jobId: "env7")
        for expected in [
            "CUDA_VISIBLE_DEVICES=0,1", "NVIDIA_VISIBLE_DEVICES=0,1", "CUDA_DEVICE_ORDER=PCI_BUS_ID",
            "RASPORED_JOB_ID=env7", "RASPORED_JOB_NAME=test-env7", "RASPORED_NODELIST=dgx01,dgx02",
            "RASPORED_NODE_RANK=1", "RASPORED_NNODES=2", "NODE_RANK=1", "NNODES=2", "MASTER_ADDR=dgx01",
            "MASTER_PORT=\(port)", "PET_NNODES=2", "PET_NODE_RANK=1", "NCCL_IB_HCA==mlx5_0,mlx5_3", "OMP_NUM_THREADS=1",
        ] {
            #expect(lines.contains(expected), "\(expected)")
        }
        #expect(!out.contains("to-stderr"))
        #expect(read(try #require(done.stderrPath)) == "to-stderr\n")
    }

    @Test func stdoutAndStderrShareOneFileByDefaultAndSignalsAreRecorded() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try await launcher.launch(request("sig", "echo hello; echo oops >&2; kill -USR1 $$"))
        let done = try #require(await launcher.wait("sig"))
        #expect(read(done.stdoutPath) == "hello\noops\n")
        #expect(done.stdoutPath.hasSuffix("raspored-sig.out"))
        #expect(done.state == .failed)
        #expect(done.signal == SIGUSR1)
        #expect(done.exitCode == nil)
    }

    @Test func successIsCompletedAndEventsArriveInOrder() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        var events = launcher.events.makeAsyncIterator()
        _ = try await launcher.launch(request("ok", "true"))
        guard case .started(let s)? = await events.next() else {
            Issue.record("no start event")
            return
        }
        #expect(s.jobId == "ok")
        #expect(s.pid != nil)
        #expect(s.state == .running)
        guard case .finished(let f)? = await events.next() else {
            Issue.record("no finish event")
            return
        }
        #expect(f.state == .completed)
        #expect(f.exitCode == 0)
    }

    @Test func cancelKillsTheWholeProcessTree() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try await launcher.launch(request("tree", "sleep 300 & echo $! > child.pid; wait"))
        let childFile = dir.appendingPathComponent("child.pid").path
        #expect(await eventually { Int32(read(childFile).trimmingCharacters(in: .whitespacesAndNewlines)) != nil })
        let child = try #require(Int32(read(childFile).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(ProcessProbe.isAlive(child))
        await launcher.cancel("tree")
        let done = try #require(await launcher.wait("tree"))
        #expect(done.state == .cancelled)
        #expect(done.signal == SIGTERM)
        #expect(await eventually { !ProcessProbe.isAlive(child) })
    }

    @Test func aJobIgnoringSIGTERMIsKilledAfterTheGracePeriod() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        // Ignored signals stay ignored across exec: the background sleep ignores SIGTERM too.
        _ = try await launcher.launch(request("stubborn", "trap '' TERM; sleep 300 & echo $! > child.pid; wait"))
        let childFile = dir.appendingPathComponent("child.pid").path
        #expect(await eventually { Int32(read(childFile).trimmingCharacters(in: .whitespacesAndNewlines)) != nil })
        let child = try #require(Int32(read(childFile).trimmingCharacters(in: .whitespacesAndNewlines)))
        let begin = Date()
        await launcher.cancel("stubborn")
        let done = try #require(await launcher.wait("stubborn"))
        #expect(done.state == .cancelled)
        #expect(done.signal == SIGKILL)
        #expect(Date().timeIntervalSince(begin) >= 0.4)
        #expect(await eventually { !ProcessProbe.isAlive(child) })
    }

    @Test func theTimeLimitStopsTheJob() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        var r = request("limit", "sleep 300 & echo $! > child.pid; wait")
        r.timeLimit = .milliseconds(300)
        let begin = Date()
        _ = try await launcher.launch(r)
        let done = try #require(await launcher.wait("limit"))
        #expect(done.state == .timedOut)
        #expect(done.signal == SIGTERM)
        #expect(done.reason?.contains("time limit") == true)
        #expect(Date().timeIntervalSince(begin) >= 0.3)
        #expect(Date().timeIntervalSince(begin) < 5)
        let child = try #require(
            Int32(read(dir.appendingPathComponent("child.pid").path).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await eventually { !ProcessProbe.isAlive(child) })
    }

    @Test func aMissingCommandFailsWithTheShimsMessage() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = LaunchRequest(jobId: "nocmd", name: "x", command: ["/nonexistent/program"], workingDirectory: dir.path)
        _ = try await launcher.launch(r)
        let done = try #require(await launcher.wait("nocmd"))
        #expect(done.exitCode == 127)
        #expect(read(done.stdoutPath).contains("cannot execute /nonexistent/program: No such file or directory"))
        #expect(done.reason == "cannot execute /nonexistent/program: No such file or directory (errno 2)")
    }

    @Test func aBindingFailureIsTheRecordsReason() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        var r = request("badcpu", "echo ran")
        r.cpus = [1000]  // below CPU_SETSIZE, not a CPU this machine has
        _ = try await launcher.launch(r)
        let done = try #require(await launcher.wait("badcpu"))
        #expect(done.state == .failed)
        #expect(done.exitCode == 127)
        #expect(done.reason == "binding failed: sched_setaffinity(1000): Invalid argument (errno 22)")
        #expect(!read(done.stdoutPath).contains("ran"))
    }

    @Test func invalidJobIdsAreRefused() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        await #expect(throws: LaunchError.self) { try await launcher.launch(request("../escape", "true")) }
    }
}

/// `schedagent run-local`, run as people run it.
@Suite struct RunLocalCommandTests {
    @Test func runsBoundAndPassesTheExitStatusThrough() async throws {
        let dir = try temporaryDirectory("runlocal")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cpu = try #require(BindingShim.allowedCPUs().last)
        let result = try await Subprocess.run(
            .path(FilePath(try Repo.schedagent())),
            arguments: [
                "run-local", "--cpus", "\(cpu)", "--gpus", "0", "--job-id", "rl1", "--output", "job-%j.out",
                "--state-dir", dir.appendingPathComponent("state").path, "--",
                "sh", "-c", "grep Cpus_allowed_list /proc/self/status; echo gpus=$CUDA_VISIBLE_DEVICES; exit 3",
            ],
            workingDirectory: FilePath(dir.path), output: .discarded, error: .string(limit: 1 << 16))
        #expect(result.terminationStatus == .exited(3))
        #expect(result.standardError.contains("job rl1 failed: exit status 3"))
        let out = try String(contentsOfFile: dir.appendingPathComponent("job-rl1.out").path, encoding: .utf8)
        #expect(out == "Cpus_allowed_list:\t\(cpu)\ngpus=0\n")
        let state = try StateDirectory(path: dir.appendingPathComponent("state").path).loadAll()
        #expect(state.map(\.jobId) == ["rl1"])
        #expect(state.first?.exitCode == 3)
    }

    @Test(arguments: [
        (["--cores", "0", "--cpus", "0"], "give --cores or --cpus, not both"),
        (["--cpus", "100000"], "--cpus: CPU 100000 is not on this machine"),
        (["--numa", "77"], "--numa: NUMA node 77 is not on this machine"),
        (["--cpus", "x"], "--cpus 'x' is not a list like 0-3,8"),
        (["--time", "soon"], "--time 'soon' is not a duration"),
    ])
    func argumentsAreCheckedBeforeAnythingRuns(_ options: [String], _ message: String) async throws {
        let dir = try temporaryDirectory("runlocal-args")
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try await Subprocess.run(
            .path(FilePath(try Repo.schedagent())),
            arguments: Arguments(["run-local", "--state-dir", "state"] + options + ["--", "touch", "ran"]),
            workingDirectory: FilePath(dir.path), output: .discarded, error: .string(limit: 1 << 16))
        #expect(result.terminationStatus == .exited(64))
        #expect(result.standardError.contains(message), "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("ran").path))
    }

    @Test func anExistingJobIdIsRefused() async throws {
        let dir = try temporaryDirectory("runlocal-reuse")
        defer { try? FileManager.default.removeItem(at: dir) }
        func run(_ marker: String) async throws -> (TerminationStatus, String) {
            let r = try await Subprocess.run(
                .path(FilePath(try Repo.schedagent())),
                arguments: ["run-local", "--state-dir", "state", "--job-id", "same", "--", "touch", marker],
                workingDirectory: FilePath(dir.path), output: .discarded, error: .string(limit: 1 << 16))
            return (r.terminationStatus, r.standardError)
        }
        #expect(try await run("first").0 == .exited(0))
        let second = try await run("second")
        #expect(second.0 == .exited(64))
        #expect(second.1.contains("job id same already exists in state"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("second").path))
    }

    @Test func stateDirHelpShowsItsDefaultOnce() async throws {
        let result = try await Subprocess.run(
            .path(FilePath(try Repo.schedagent())), arguments: ["run-local", "--help"],
            output: .string(limit: 1 << 16), error: .discarded)
        let text = result.standardOutput
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("  --state-dir") })
        #expect(line.components(separatedBy: "default").count == 2, "\(line)")
    }
}
