import Foundation
import Glibc
import RasporedAPI
import TestAccounts
import Testing

@testable import Agent

/// Jobs as their submitters, confined to their allocation: real Unix accounts (made and removed by the
/// test), real cgroups on this machine's hierarchies (v1 here, as on hybrid hosts), real processes through
/// `raspored-exec`. Needs root, as the agent does on a node; CI runs as root.
@Suite(.serialized, .enabled(if: TestUsers.available && CgroupLayout.detect() != nil, "needs root and cgroups"))
final class ConfinementTests {
    let dir: URL
    let users: TestUsers
    let confinement: Confinement
    let launcher: JobLauncher
    let ana: (name: String, uid: UInt32, gid: UInt32)
    let team: (name: String, gid: UInt32)
    /// ana's own directory (0700), where her jobs run and write.
    let home: String

    init() throws {
        users = try TestUsers()
        dir = URL(fileURLWithPath: "/tmp/raspored-confine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        chmod(dir.path, 0o755)
        team = try users.makeGroup()
        ana = try users.make(groups: [team.name])
        home = dir.appendingPathComponent("ana").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        chown(home, ana.uid, ana.gid)
        chmod(home, 0o700)
        let layout = try #require(CgroupLayout.detect())
        confinement = Confinement(
            layout: layout, parent: TestRun.cgroupName(String(UUID().uuidString.prefix(8))) + "/testnode", pidsMax: 64)
        launcher = try JobLauncher(
            stateDirectory: dir.appendingPathComponent("state").path, shimExecutable: try Repo.execShim(),
            gracePeriod: .milliseconds(500), host: "testnode", runAs: .submitter, confinement: confinement)
    }

    deinit {
        confinement.removeSubtree(levels: 2)
        users.removeAll()
        try? FileManager.default.removeItem(at: dir)
    }

    func request(_ id: String, _ script: String, user: String? = nil) -> LaunchRequest {
        var r = LaunchRequest(jobId: id, name: id, command: ["/bin/sh", "-c", script], workingDirectory: home)
        r.user = user ?? ana.name
        r.environment = ["PATH": "/usr/local/bin:/usr/bin:/bin"]
        return r
    }

    func run(_ r: LaunchRequest) async throws -> (JobRecord, String) {
        _ = try await launcher.launch(r)
        let done = try #require(await launcher.wait(r.jobId))
        return (done, (try? String(contentsOfFile: done.stdoutPath, encoding: .utf8)) ?? "")
    }

    @Test func theJobRunsAsItsUserWithHerGroupsNoCapabilitiesAndNoNewPrivileges() async throws {
        let (done, out) = try await run(
            request(
                "id",
                "id -u; id -g; id -Gn; grep -E '^(CapEff|CapPrm|CapAmb|NoNewPrivs)' /proc/self/status; echo HOME=$HOME USER=$USER"
            ))
        #expect(done.state == .completed, "\(done.reason ?? "") \(out)")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first == "\(ana.uid)")
        #expect(lines.dropFirst().first == "\(ana.gid)")
        #expect(
            lines.dropFirst(2).first.map { Set($0.split(separator: " ").map(String.init)) } == [ana.name, team.name])
        #expect(out.contains("CapEff:\t0000000000000000"))
        #expect(out.contains("CapPrm:\t0000000000000000"))
        #expect(out.contains("CapAmb:\t0000000000000000"))
        #expect(out.contains("NoNewPrivs:\t1"))
        #expect(out.contains("HOME=/nonexistent USER=\(ana.name)"))
        // The output file is the user's, and only hers.
        var st = stat()
        #expect(stat(done.stdoutPath, &st) == 0)
        #expect(st.st_uid == ana.uid)
        #expect(st.st_mode & 0o777 == 0o600)
        #expect(done.user == ana.name)
        #expect(done.uid == ana.uid)
    }

    @Test func aUserWithNoAccountOnTheNodeNeverRuns() async throws {
        await #expect(throws: LaunchError("user nosuchuser-rspt has no account on testnode")) {
            try await self.launcher.launch(self.request("ghost", "touch /tmp/ran", user: "nosuchuser-rspt"))
        }
        #expect(await launcher.record("ghost") == nil)
    }

    @Test func rootJobsAreRefusedUnlessAllowed() async throws {
        await #expect(throws: LaunchError.self) {
            try await self.launcher.launch(self.request("root1", "id -u", user: "root"))
        }
        var allowed = request("root2", "id -u", user: "root")
        allowed.workingDirectory = dir.path
        allowed.allowRoot = true
        let (done, out) = try await run(allowed)
        #expect(done.state == .completed)
        #expect(out == "0\n")
    }

    @Test func anotherUsersFilesEtcAndTheAgentsStateAreOutOfReach() async throws {
        let other = try users.make()
        let secret = dir.appendingPathComponent("secret").path
        try "bo's data\n".write(toFile: secret, atomically: false, encoding: .utf8)
        chown(secret, other.uid, other.gid)
        chmod(secret, 0o600)
        let token = dir.appendingPathComponent("state/agent.token").path
        try "rsp_secret\n".write(toFile: token, atomically: false, encoding: .utf8)
        chmod(token, 0o600)
        let (done, out) = try await run(
            request(
                "reach",
                """
                cat \(secret) || echo SECRET-REFUSED
                cat \(token) || echo TOKEN-REFUSED
                ls \(dir.path)/state || echo STATE-REFUSED
                touch /etc/raspored-test-\(ana.name) || echo ETC-REFUSED
                """))
        #expect(done.state == .completed)
        for word in ["SECRET-REFUSED", "TOKEN-REFUSED", "STATE-REFUSED", "ETC-REFUSED"] {
            #expect(out.contains(word), "\(out)")
        }
        #expect(!out.contains("bo's data"))
        #expect(!out.contains("rsp_secret"))
        #expect(!FileManager.default.fileExists(atPath: "/etc/raspored-test-\(ana.name)"))
        // The state directory is the agent's alone.
        var st = stat()
        #expect(stat(dir.appendingPathComponent("state").path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o700)
    }

    @Test func outputIntoAForbiddenPlaceFailsWithThePermissionError() async throws {
        var r = request("forbidden", "echo should-not-run")
        r.output = "../../../../etc/raspored-test-%j.out"
        let (done, _) = try await run(r)
        #expect(done.state == .failed)
        #expect(done.execFailed == true)
        #expect(done.reason?.hasPrefix("cannot open output file /") == true, "\(done.reason ?? "")")
        #expect(done.reason?.contains("Permission denied (errno 13)") == true, "\(done.reason ?? "")")
        #expect(!FileManager.default.fileExists(atPath: "/etc/raspored-test-forbidden.out"))
        #expect(RunBook.phase(of: done) == .launchFailed)
    }

    @Test func aWorkingDirectoryTheUserCannotEnterFailsTheJob() async throws {
        let locked = dir.appendingPathComponent("locked").path
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
        chmod(locked, 0o700)
        var r = request("cwd", "pwd")
        r.workingDirectory = locked
        r.output = home + "/cwd.out"
        let (done, _) = try await run(r)
        #expect(done.state == .failed)
        #expect(done.reason == "cannot enter working directory \(locked): Permission denied (errno 13)")
    }

    @Test func memoryOverTheLimitEndsTheJobOutOfMemory() async throws {
        var r = request("oom", "echo start; exec dd if=/dev/zero of=/dev/null bs=256M count=1")
        r.memoryLimitBytes = 64 << 20
        let (done, out) = try await run(r)
        #expect(done.state == .failed, "\(out)")
        #expect(done.reason == "out of memory: limit 64 MiB", "\(done.reason ?? "") \(out)")
        #expect((done.usage?.oomKills ?? 0) > 0)
        #expect(done.cgroup == nil)
    }

    @Test func theCpusetHoldsEvenAgainstTheJobsOwnAffinityCalls() async throws {
        let cpus = BindingShim.allowedCPUs()
        try #require(cpus.count >= 2, "needs two CPUs")
        var r = request(
            "cpuset",
            "taskset -pc \(cpus.map(String.init).joined(separator: ",")) $$ >/dev/null 2>&1; grep Cpus_allowed_list /proc/self/status"
        )
        r.cpus = [cpus.last!]
        r.mems = [0]
        let (done, out) = try await run(r)
        #expect(done.state == .completed)
        #expect(out == "Cpus_allowed_list:\t\(cpus.last!)\n", "\(out)")
    }

    /// The sampler reads a running job's CPU time and memory from its cgroup: a job that burns two seconds of
    /// CPU time (however busy the machine) and holds 96 MiB.
    @Test func theSamplerReadsARunningJobsCPUTimeAndMemoryFromItsCgroup() async throws {
        let script = """
            import time
            b = bytearray(96 << 20)
            for i in range(0, len(b), 4096): b[i] = 1
            while time.process_time() < 2: pass
            print("burnt", flush=True)
            time.sleep(60)
            """
        let r = request("sample", "exec /usr/bin/python3 -c '\(script)'")
        let started = try await launcher.launch(r)
        var sampler = RunSampler(busIds: [:], reader: nil)
        var last: RunUsage?
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            last = sampler.sample(started, at: Date())
            if (last?.cpuSeconds ?? 0) >= 1.8 { break }
            try? await Task.sleep(for: .milliseconds(200))
        }
        // (No throwing until the job is cancelled: it must not outlive the test.)
        #expect((last?.cpuSeconds ?? 0) >= 1.8, "\(String(describing: last))")
        #expect((last?.memoryBytes ?? 0) >= 96 << 20, "\(String(describing: last))")
        #expect((last?.peakMemoryBytes ?? 0) >= last?.memoryBytes ?? .max)
        #expect(last != nil && last?.gpus == nil)
        await launcher.cancel("sample")
        let done = try #require(await launcher.wait("sample"))
        #expect(done.state == .cancelled)
    }

    @Test func onlyTheAllocatedGPUsCanBeOpened() async throws {
        try await checkGPUIsolation(launcher, "gpus")
    }

    /// The v2 path's BPF device program, on this machine's unified hierarchy (the v1 controllers stay for the rest).
    @Test func theBPFDeviceProgramIsolatesGPUsToo() async throws {
        let layout = try #require(CgroupLayout.detect())
        try #require(layout.unifiedMount != nil || layout.version == .v2, "no cgroup v2 hierarchy")
        let bpf = Confinement(layout: layout, parent: confinement.parent, pidsMax: 64, deviceFilter: .bpf)
        let l = try JobLauncher(
            stateDirectory: dir.appendingPathComponent("state-bpf").path, shimExecutable: try Repo.execShim(),
            gracePeriod: .milliseconds(500), host: "testnode", runAs: .submitter, confinement: bpf)
        try await checkGPUIsolation(l, "gpus-bpf")
        bpf.removeSubtree(levels: 2)
    }

    /// AMD's: DRM cards (226:0…) and render nodes (226:128…), made for the test; a job holding GPUs 1 and 2
    /// opens their card and render node and /dev/kfd's stand-in (a major the filter leaves alone), and is
    /// refused the others, under the devices controller and under the BPF program alike.
    @Test(arguments: [Confinement.DeviceFilter.v1, .bpf])
    func onlyTheAllocatedAMDGPUsDevicesCanBeOpened(_ filter: Confinement.DeviceFilter) async throws {
        let layout = try #require(CgroupLayout.detect())
        if filter == .bpf { try #require(layout.unifiedMount != nil || layout.version == .v2, "no cgroup v2") }
        if filter == .v1 { try #require(layout.v1Mounts["devices"] != nil, "no v1 devices controller") }
        let amd = Confinement(
            layout: layout, parent: confinement.parent, pidsMax: 64,
            gpuDevices: .amd(
                busIds: ["0000:03:00.0", "0000:27:00.0", "0000:43:00.0", "0000:63:00.0"], sysfs: dir.path),
            deviceFilter: filter)
        let l = try JobLauncher(
            stateDirectory: dir.appendingPathComponent("state-amd-\(filter)").path, shimExecutable: try Repo.execShim(),
            gracePeriod: .milliseconds(500), host: "testnode", runAs: .submitter, confinement: amd)
        let devices = dir.appendingPathComponent("dev-amd-\(filter)").path
        try FileManager.default.createDirectory(atPath: devices, withIntermediateDirectories: true)
        chmod(devices, 0o755)
        var nodes: [(String, UInt32)] = [("kfd", (240 << 8) | 0)]
        for n in UInt32(0)..<4 {
            nodes.append(("card\(n)", (226 << 8) | n))
            nodes.append(("renderD\(128 + n)", (226 << 8) | (128 + n)))
        }
        for (name, number) in nodes {
            #expect(mknod(devices + "/" + name, S_IFCHR | 0o666, dev_t(number)) == 0, "\(name)")
        }
        let names = nodes.map(\.0)
        var r = request(
            "amd-\(filter)", "for d in \(names.joined(separator: " ")); do echo \"$d $(cat \(devices)/$d 2>&1)\"; done")
        r.gpus = [1, 2]
        _ = try await l.launch(r)
        let done = try #require(await l.wait(r.jobId))
        let out = (try? String(contentsOfFile: done.stdoutPath, encoding: .utf8)) ?? ""
        let open: Set = ["kfd", "card1", "card2", "renderD129", "renderD130"]
        for line in out.split(separator: "\n") {
            let name = String(line.prefix { $0 != " " })
            if open.contains(name) {
                #expect(line.contains("No such device or address"), "\(line)")
            } else {
                #expect(line.contains("Operation not permitted"), "\(line)")
            }
        }
        #expect(out.split(separator: "\n").count == nodes.count, "\(out)")
        if filter == .bpf { amd.removeSubtree(levels: 2) }
    }

    /// Device nodes of major 195 (NVIDIA's) made for the test: with no driver, opening an allowed one fails
    /// with ENXIO ("No such device or address"); the cgroup refuses the others first with EPERM.
    func checkGPUIsolation(_ l: JobLauncher, _ id: String) async throws {
        let devices = dir.appendingPathComponent("dev-\(id)").path
        try FileManager.default.createDirectory(atPath: devices, withIntermediateDirectories: true)
        chmod(devices, 0o755)
        for minor in 0..<8 {
            #expect(mknod(devices + "/nvidia\(minor)", S_IFCHR | 0o666, dev_t((195 << 8) | minor)) == 0)
        }
        var r = request(id, "for i in 0 1 2 3 4 5 6 7; do echo \"$i $(cat \(devices)/nvidia$i 2>&1)\"; done")
        r.gpus = [2, 5]
        _ = try await l.launch(r)
        let done = try #require(await l.wait(id))
        let out = (try? String(contentsOfFile: done.stdoutPath, encoding: .utf8)) ?? ""
        for line in out.split(separator: "\n") {
            let minor = Int(line.prefix(1))!
            if [2, 5].contains(minor) {
                #expect(line.contains("No such device or address"), "\(line)")
            } else {
                #expect(line.contains("Operation not permitted"), "\(line)")
            }
        }
        #expect(out.split(separator: "\n").count == 8, "\(out)")
    }

    @Test func cancelEndsADoubleForkedEscaperAndTheCgroupGoes() async throws {
        let pidFile = home + "/escaper.pid"
        let r = request(
            "escape", "setsid sh -c 'echo $$ > \(pidFile); exec sleep 300' </dev/null >/dev/null 2>&1 & sleep 300")
        let started = try await launcher.launch(r)
        #expect(await eventually { ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").hasSuffix("\n") })
        let escaper = try #require(
            Int32(
                ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").trimmingCharacters(
                    in: .whitespacesAndNewlines)))
        // It left the job's process group and session, but not its cgroup.
        #expect(getpgid(escaper) != started.processGroup)
        let cgroup = try #require(started.cgroup)
        #expect(cgroup.processes.contains(escaper))
        await launcher.cancel("escape")
        let done = try #require(await launcher.wait("escape"))
        #expect(done.state == .cancelled)
        #expect(await eventually { kill(escaper, 0) != 0 && errno == ESRCH })
        for d in cgroup.directories.values { #expect(!FileManager.default.fileExists(atPath: d), "\(d)") }
        #expect(done.usage?.peakMemoryBytes ?? 0 > 0)
        #expect(done.usage?.cpuSeconds != nil)
    }
}
