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
        init() throws {
            var template = Array("/tmp/raspored-rt-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw ClusterError("mkdtemp: \(errno)") }
            path = String(cString: made)
        }
        func remove() {
            for _ in 0..<50 {
                let live = LocalCluster.processes(in: path)
                if live.isEmpty { break }
                for pid in live { kill(pid, SIGKILL) }
                usleep(20_000)
            }
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

    /// A loop of submits, as scripts write them: the first starts a server for its user, which takes the
    /// next ones with each one's own directory, environment, output and exit status; a client that sends it
    /// garbage changes nothing; one from another build makes it stop, and the next submit starts a new one.
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
        // job's id, which returns while the server runs on (it holds none of the client's descriptors).
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments =
            ["-c", "echo \"id=$(\"$0\" \"$@\")\"", try LocalCluster.binary("schedctl")] + submit + [
                "--parsable", "--", "true",
            ]
        shell.environment = handoffEnvironment(c, runtime: runtime)
        shell.currentDirectoryURL = URL(fileURLWithPath: work)
        let out = Pipe()
        shell.standardOutput = out
        shell.standardInput = FileHandle.nullDevice
        try shell.run()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 0)
        #expect(printed.hasPrefix("id=") && Int64(printed.dropFirst(3).dropLast()) != nil, "\(printed)")
        try await c.waitFor("the schedctl server to listen", timeout: 20) {
            FileManager.default.fileExists(atPath: runtime + "/raspored-schedctl.sock")
        }
        let server = servers(runtime)
        #expect(server.count == 1)

        // The next ones go to it (`only` fails otherwise), from another directory, with a variable of their own.
        let elsewhere = c.dir + "/work/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        var env = handoffEnvironment(c, runtime: runtime, mode: "only")
        env["HANDOFF_VAR"] = "from the client"
        let handed = try c.tool(
            "schedctl", submit + ["--parsable", "--", "/bin/sh", "-c", "echo var=$HANDOFF_VAR dir=$(pwd)"],
            environment: env, directory: elsewhere)
        #expect(handed.status == 0, "\(handed.stderr)")
        let id = try #require(Int64(handed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(handed.stdout)")
        let done = try await c.waitForJob(id, in: [.completed, .failed])
        #expect(done.state == .completed, "\(c.logs())")
        #expect(done.workdir == elsewhere)
        #expect(try await c.output(id) == "var=from the client dir=\(elsewhere)\n")
        // A refusal reaches the client's stderr and exit status, as when it runs itself.
        let refused = try c.tool(
            "schedctl", ["submit", "--gpus", "65", "--account", "ivi", "--", "true"], environment: env,
            directory: work)
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("schedctl: error: 65 GPUs requested"), "\(refused.stderr)")
        #expect(refused.stdout.isEmpty)

        // Garbage on the socket: the server drops that client and serves the next one.
        let raw = schedctl_handoff_connect(runtime + "/raspored-schedctl.sock")
        #expect(raw >= 0)
        _ = "not a command at all".withCString { send(raw, $0, 20, Int32(MSG_NOSIGNAL)) }
        close(raw)
        let after = try c.tool("schedctl", submit + ["--", "true"], environment: env, directory: work)
        #expect(after.status == 0, "\(after.stderr)")
        #expect(servers(runtime) == server)

        // A client of another build (another identity): the server says no and stops; the client's command
        // is its own to run.
        let other = schedctl_handoff_connect(runtime + "/raspored-schedctl.sock")
        #expect(other >= 0)
        var identity: [UInt64] = [1, 2, 3, 4, 5]
        let args = ["schedctl", "submit", "--", "true"].map { s in s.withCString { strdup($0) } } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = ["A=B".withCString { strdup($0) }, nil]
        var argv = args
        var environ = envp
        #expect(schedctl_handoff_send(other, &identity, 4, &argv, &environ) == 0)
        var answer: UInt8 = 0
        #expect(schedctl_handoff_read_all(other, &answer, 1, 10_000) == 0)
        #expect(answer == UInt8(ascii: "N"))
        close(other)
        for p in args + envp { free(p) }
        try await c.waitFor("the old server to stop", timeout: 20) { servers(runtime).isEmpty }
        #expect(!FileManager.default.fileExists(atPath: runtime + "/raspored-schedctl.sock"))
        let again = try c.tool(
            "schedctl", submit + ["--", "true"], environment: handoffEnvironment(c, runtime: runtime), directory: work)
        #expect(again.status == 0, "\(again.stderr)")
        try await c.waitFor("a new server", timeout: 20) { servers(runtime).count == 1 }
        #expect(servers(runtime) != server)
    }

    /// A runtime folder another user could enter or write is not used: no command goes through it, and no
    /// server starts there.
    @Test func aSchedctlServerNeedsAFolderOfItsUsersOwn() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let folder = try Runtime()
        defer { folder.remove() }
        let runtime = folder.path
        chmod(runtime, 0o755)
        let submit = ["submit", "--gpus", "1", "--time", "10m", "--account", "ivi", "--", "true"]
        let work = c.dir + "/work"
        let ran = try c.tool("schedctl", submit, environment: handoffEnvironment(c, runtime: runtime), directory: work)
        #expect(ran.status == 0, "\(ran.stderr)")
        // The server it tried to start found the folder open and stopped at once.
        try await c.waitFor("no server", timeout: 20) { servers(runtime).isEmpty }
        #expect(try FileManager.default.contentsOfDirectory(atPath: runtime).isEmpty)
        let only = try c.tool(
            "schedctl", submit, environment: handoffEnvironment(c, runtime: runtime, mode: "only"), directory: work)
        #expect(only.status == 2)
    }
}
