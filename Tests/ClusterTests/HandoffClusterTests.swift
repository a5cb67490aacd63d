import CSchedctlHandoff
import Foundation
import RasporedAPI
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension ClusterTests {
    /// The environment of a user whose schedctl may use a server: the cluster's controller and token, and a
    /// runtime folder of its own (`Runtime`), where the server's socket goes.
    func handoffEnvironment(_ c: LocalCluster, runtime: String, mode: String? = nil) -> [String: String] {
        var env = [
            "PATH": "/usr/bin:/bin", "HOME": c.dir, "RASPORED_CONTROLLER": c.base, "RASPORED_TOKEN": c.adminToken,
            "XDG_RUNTIME_DIR": runtime,
        ]
        // Empty: the default (a server when there is one), over the tests' `off`.
        env["RASPORED_SCHEDCTL_SERVER"] = mode ?? ""
        return env
    }

    /// A runtime folder for a test's schedctl servers (mode 0700): short, as a socket's path must be (the
    /// cluster's directory under the test run's TMPDIR is too deep). A server starts with an empty
    /// environment, outside the test run's marks, so `remove` stops the folder's servers itself.
    final class Runtime {
        let path: String
        var socket: String { path + "/raspored-schedctl.sock" }
        init() throws {
            var template = Array("/tmp/raspored-rt-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw ClusterError("mkdtemp: \(errno)") }
            path = String(cString: made)
        }
        func remove() {
            LocalCluster.killProcesses(in: path)
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// The pids of the schedctl servers serving on a socket in `runtime`.
    func servers(_ runtime: String) -> [Int32] {
        LocalCluster.processes(in: runtime).filter { pid in
            let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            return cmdline.split(separator: 0).contains { Array($0) == Array("__serve".utf8) }
        }
    }

    /// The output of the job `submit --parsable` printed, once it has completed.
    func completedOutput(_ c: LocalCluster, _ printed: String) async throws -> (JobView, String) {
        let id = try #require(Int64(printed.trimmingCharacters(in: .whitespacesAndNewlines)), "\(printed)")
        let done = try await c.waitForJob(id, in: [.completed, .failed])
        #expect(done.state == .completed, "\(c.logs())")
        return (done, try await c.output(id))
    }

    /// What a raw client gets from the server for a message with `identity`: its first answer after 'A'.
    func answer(_ socket: String, identity: [UInt64]) -> UInt8? {
        let fd = schedctl_handoff_connect(socket)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var greeting: UInt8 = 0
        guard schedctl_handoff_read_all(fd, &greeting, 1, 10_000) == 0, greeting == UInt8(ascii: "A") else {
            return nil
        }
        var words = identity
        var argv = ["schedctl", "submit", "--", "true"].map { s in s.withCString { strdup($0) } } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = ["A=B".withCString { strdup($0) }, nil]
        defer { for p in argv + envp { free(p) } }
        guard schedctl_handoff_send(fd, &words, 4, &argv, &envp) == 0 else { return nil }
        var reply: UInt8 = 0
        guard schedctl_handoff_read_all(fd, &reply, 1, 10_000) == 0 else { return nil }
        return reply
    }

    /// A loop of submits, as scripts write them: the first starts a server for its user, which takes the
    /// next ones, each with its own directory, environment, output and exit status. A client that sends it
    /// garbage changes nothing; one from another context is turned away; one from another build makes it
    /// stop, and the next submit starts a new one.
    @Test func submitsAreHandedToTheUsersSchedctlServer() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let folder = try Runtime()
        defer { folder.remove() }
        let runtime = folder.path
        let submit = ["submit", "--gpus", "1", "--time", "10m", "--account", "ivi"]
        // Each client runs in the cluster's work directory, where its jobs' output files go.
        let work = c.dir + "/work"

        // No server yet: with `only`, the command is refused rather than run here.
        let none = try c.tool(
            "schedctl", submit + ["--", "true"], environment: handoffEnvironment(c, runtime: runtime, mode: "only"),
            directory: work)
        #expect(none.status == 2)
        #expect(none.stderr == "schedctl: error: no schedctl server took the command (RASPORED_SCHEDCTL_SERVER=only)\n")

        // The first submit runs here and starts the server; in a command substitution, as scripts take a
        // job's id, which returns while the server runs on: the server holds none of the client's
        // descriptors (if it held the substitution's pipe, the shell would wait, past the limit).
        let first = try c.tool(
            "/bin/sh",
            ["-c", "echo \"id=$(\"$0\" \"$@\")\"", try LocalCluster.binary("schedctl")] + submit + [
                "--parsable", "--", "true",
            ],
            environment: handoffEnvironment(c, runtime: runtime), directory: work, limit: 20)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("id=") && Int64(first.stdout.dropFirst(3).dropLast()) != nil, "\(first.stdout)")
        try await c.waitFor("the schedctl server to listen", timeout: 20) {
            FileManager.default.fileExists(atPath: folder.socket)
        }
        let server = servers(runtime)
        #expect(server.count == 1)

        // The next ones go to it (`only` fails otherwise), each from its own directory with its own variable:
        // nothing of one command stays for the next.
        for (name, value) in [("one", "from the first client"), ("two", "from the second client")] {
            let elsewhere = work + "/" + name
            try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
            var env = handoffEnvironment(c, runtime: runtime, mode: "only")
            env["HANDOFF_VAR"] = value
            let handed = try c.tool(
                "schedctl", submit + ["--parsable", "--", "/bin/sh", "-c", "echo var=$HANDOFF_VAR dir=$(pwd)"],
                environment: env, directory: elsewhere)
            #expect(handed.status == 0, "\(handed.stderr)")
            let (done, output) = try await completedOutput(c, handed.stdout)
            #expect(done.workdir == elsewhere)
            #expect(output == "var=\(value) dir=\(elsewhere)\n")
        }
        // A refusal reaches the client's stderr and exit status, as when it runs itself.
        let only = handoffEnvironment(c, runtime: runtime, mode: "only")
        let refused = try c.tool(
            "schedctl", ["submit", "--gpus", "65", "--account", "ivi", "--", "true"], environment: only,
            directory: work)
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("schedctl: error: 65 GPUs requested"), "\(refused.stderr)")
        #expect(refused.stdout.isEmpty)

        // Garbage on the socket: the server drops that client and serves the next one.
        let raw = schedctl_handoff_connect(folder.socket)
        #expect(raw >= 0)
        _ = "not a command at all".withCString { send(raw, $0, 20, Int32(MSG_NOSIGNAL)) }
        close(raw)
        let after = try c.tool("schedctl", submit + ["--", "true"], environment: only, directory: work)
        #expect(after.status == 0, "\(after.stderr)")
        #expect(servers(runtime) == server)

        // The server's own identity: this schedctl executable's, in this process's context.
        var mine = [UInt64](repeating: 0, count: Int(SCHEDCTL_HANDOFF_IDENTITY))
        #expect(schedctl_handoff_identity(&mine) == 0)
        var st = stat()
        #expect(stat(try LocalCluster.binary("schedctl"), &st) == 0)
        let executable: [UInt64] = [
            UInt64(st.st_dev), UInt64(st.st_ino), UInt64(st.st_size), UInt64(st.st_mtim.tv_sec),
            UInt64(st.st_mtim.tv_nsec),
        ]
        let context = Array(mine[Int(SCHEDCTL_HANDOFF_EXECUTABLE)...])
        // Another context (other groups): turned away, and the server serves on.
        #expect(
            answer(folder.socket, identity: executable + context.dropLast() + [context.last! &+ 1]) == UInt8(ascii: "N")
        )
        #expect(servers(runtime) == server)
        // Another build: the server says so and stops; the client's command is its own to run.
        #expect(answer(folder.socket, identity: [1, 2, 3, 4, 5] + context) == UInt8(ascii: "S"))
        try await c.waitFor("the old server to stop", timeout: 20) { servers(runtime).isEmpty }
        #expect(!FileManager.default.fileExists(atPath: folder.socket))
        let again = try c.tool(
            "schedctl", submit + ["--", "true"], environment: handoffEnvironment(c, runtime: runtime), directory: work)
        #expect(again.status == 0, "\(again.stderr)")
        try await c.waitFor("a new server", timeout: 20) { servers(runtime).count == 1 }
        #expect(servers(runtime) != server)
    }

    /// A server runs one command at a time. A submit that finds it busy (here with a command waiting on a
    /// controller that never answers) runs itself after a second; one whose command line names its own descriptors
    /// (`/dev/stdin`, `/dev/fd/N`) is never handed off. Each command runs once.
    @Test func aBusyServerOrTheClientsOwnInputLeavesTheSubmitToItsClient() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let folder = try Runtime()
        defer { folder.remove() }
        let work = c.dir + "/work"
        let submit = ["submit", "--gpus", "1", "--time", "10m", "--account", "ivi", "--parsable"]
        let first = try c.tool(
            "schedctl", submit + ["--", "true"], environment: handoffEnvironment(c, runtime: folder.path),
            directory: work)
        #expect(first.status == 0, "\(first.stderr)")
        try await c.waitFor("the schedctl server to listen", timeout: 20) {
            FileManager.default.fileExists(atPath: folder.socket)
        }

        // `/dev/stdin` names the client's own input: with `only` it is refused, by default it runs here.
        try "#!/bin/sh\necho from stdin\n".write(toFile: work + "/stdin.sh", atomically: true, encoding: .utf8)
        let own = ["-c", "\"$0\" \"$@\" /dev/stdin < stdin.sh", try LocalCluster.binary("schedctl")] + submit
        let refused = try c.tool(
            "/bin/sh", own, environment: handoffEnvironment(c, runtime: folder.path, mode: "only"), directory: work)
        #expect(refused.status == 2, "\(refused.stderr)")
        let here = try c.tool(
            "/bin/sh", own, environment: handoffEnvironment(c, runtime: folder.path), directory: work)
        #expect(here.status == 0, "\(here.stderr)")
        #expect(Int64(here.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) != nil, "\(here.stdout)")

        // The server busy: its command waits on a "controller" that takes the connection and never answers
        // (a socket that listens and accepts nothing).
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(silent, $0, length) == 0 && getsockname(silent, $0, &length) == 0
            }
        }
        #expect(bound && listen(silent, 8) == 0)
        var stuckEnv = handoffEnvironment(c, runtime: folder.path, mode: "only")
        stuckEnv["RASPORED_CONTROLLER"] = "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
        let stuck = Process()
        stuck.executableURL = URL(fileURLWithPath: try LocalCluster.binary("schedctl"))
        stuck.arguments = submit + ["--name", "stuck", "--", "true"]
        stuck.environment = stuckEnv
        stuck.currentDirectoryURL = URL(fileURLWithPath: work)
        let stuckErr = Pipe()
        stuck.standardError = stuckErr
        stuck.standardOutput = FileHandle.nullDevice
        stuck.standardInput = FileHandle.nullDevice
        try stuck.run()
        try await Task.sleep(for: .milliseconds(500))
        #expect(stuck.isRunning)
        // Busy: `only` gives up, the default runs it here, once.
        let busyOnly = try c.tool(
            "schedctl", submit + ["--", "true"], environment: handoffEnvironment(c, runtime: folder.path, mode: "only"),
            directory: work)
        #expect(busyOnly.status == 2, "\(busyOnly.stderr)")
        let busy = try c.tool(
            "schedctl", submit + ["--name", "while-busy", "--", "true"],
            environment: handoffEnvironment(c, runtime: folder.path), directory: work)
        #expect(busy.status == 0, "\(busy.stderr)")
        #expect(stuck.isRunning)
        // The silent controller goes away: the server's command fails, and its client says so.
        close(silent)
        let said = String(decoding: stuckErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        stuck.waitUntilExit()
        #expect(stuck.terminationStatus == 2, "\(said)")
        #expect(said.hasPrefix("schedctl: error: cannot reach the controller"), "\(said)")
        let jobs: JobList = try await c.get("/v1/jobs", token: c.adminToken)
        #expect(jobs.jobs.filter { $0.name == "while-busy" }.count == 1)
        #expect(servers(folder.path).count == 1)
    }

    /// A runtime folder another user could enter or write is not used: no command goes through it, and a
    /// server refuses to listen there.
    @Test func aSchedctlServerNeedsAFolderOfItsUsersOwn() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let folder = try Runtime()
        defer { folder.remove() }
        chmod(folder.path, 0o755)
        let submit = ["submit", "--gpus", "1", "--time", "10m", "--account", "ivi", "--", "true"]
        let work = c.dir + "/work"
        let ran = try c.tool(
            "schedctl", submit, environment: handoffEnvironment(c, runtime: folder.path), directory: work)
        #expect(ran.status == 0, "\(ran.stderr)")
        let only = try c.tool(
            "schedctl", submit, environment: handoffEnvironment(c, runtime: folder.path, mode: "only"),
            directory: work)
        #expect(only.status == 2)
        let server = try c.tool("schedctl", ["__serve", folder.socket], limit: 20)
        #expect(server.status == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
