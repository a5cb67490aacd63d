import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOSSL
import RasporedAPI
import Scheduler
import TestAccounts

/// A real cluster on loopback: the `schedulerd` binary over a fresh state directory, and one `schedagent run`
/// per node standing in for the DGX H200s (discovering from the fixture, running jobs as local processes).
/// Everything talks real HTTP, or HTTPS after `serveHTTPS()`. `stop()` kills it all, jobs included.
final class LocalCluster: @unchecked Sendable {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let topology = root.appendingPathComponent("Tests/Fixtures/hwloc/dgx-h200.xml").path

    /// Executables built beside the test binary (`swift build --build-tests`).
    static func binary(_ name: String) throws -> String {
        // A system program by its absolute path (/bin/sh).
        if name.hasPrefix("/") { return name }
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while dir.path.contains(".xctest") { dir.deleteLastPathComponent() }
        let path = dir.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ClusterError("no \(name) beside the tests (\(path)); build with `swift build --build-tests`")
        }
        return path
    }

    let dir: String
    /// The controller's port, drawn at random (again, when another process holds it at the first start).
    private(set) var port: Int
    var base: String { "\(scheme)://127.0.0.1:\(port)" }
    /// The controller's listener for agents (`--agent-listen`), which the agents use.
    private(set) var agentPort: Int
    var agentBase: String { "\(scheme)://127.0.0.1:\(agentPort)" }
    /// The controller's certificate and its CA, once `serveHTTPS()` made them: the controller serves HTTPS with
    /// them, and the agents and `client` trust the CA.
    private(set) var certificates: TestCertificates?
    var scheme: String { certificates == nil ? "http" : "https" }
    /// More of schedulerd's flags, for a test that needs them.
    var controllerArguments: [String] = []
    /// More of `schedagent run`'s flags, for a test that needs them.
    var agentArguments: [String] = []
    private(set) var controller: Process?
    private(set) var agents: [String: Process] = [:]
    private(set) var adminToken = ""
    private var agentTokens: [String: String] = [:]
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    /// schedulerd's fencing margins (its flags `--heartbeat`, `--lease`, `--kill-grace`, `--down-after`), short so
    /// the tests are quick, and holding the relations schedulerd checks.
    let heartbeat: String
    let lease: String
    let killGrace: String
    let downAfter: String
    /// `schedagent run --run-as`: the agent's own user unless a test of identity says `submitter`.
    var runAs = "agent"
    /// Variables the agents get on top of the test's own environment (a job must never see them).
    var agentEnvironment: [String: String] = [:]

    /// A cluster of its own directory; `port` only where a test needs a given one (else drawn at random).
    init(
        heartbeat: String = "1s", lease: String = "5s", killGrace: String = "1s", downAfter: String = "7s",
        port: Int? = nil
    ) {
        dir =
            FileManager.default.temporaryDirectory.appendingPathComponent("raspored-cluster-\(UUID().uuidString)").path
        self.port = port ?? Self.drawPort()
        agentPort = self.port + 1
        self.heartbeat = heartbeat
        self.lease = lease
        self.killGrace = killGrace
        self.downAfter = downAfter
        try? FileManager.default.createDirectory(atPath: dir + "/work", withIntermediateDirectories: true)
        // The controller reads its own copy, so a test may edit it and reload.
        try? FileManager.default.copyItem(
            atPath: Self.root.appendingPathComponent("cluster.yaml").path, toPath: clusterFile)
    }

    /// Makes a CA and a certificate for 127.0.0.1, so the controller (started after this) serves HTTPS.
    func serveHTTPS() throws {
        certificates = try TestCertificates(in: dir)
    }

    /// What `client` trusts: the CA of `certificates`, else the system's store.
    var clientTLS: TLSConfiguration? {
        certificates.map {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .file($0.caFile)
            return configuration
        }
    }

    /// The cgroup subtree (below the test's own cgroup in each hierarchy) where this cluster's agents confine jobs.
    var cgroupSubtree: String { TestRun.cgroupName(URL(fileURLWithPath: dir).lastPathComponent) }

    /// Kills every process in this cluster's cgroup subtree and removes it from every hierarchy, deepest first.
    func removeCgroups() {
        for _ in 0..<50 {
            let dirs =
                (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup"))?.flatMap { h in
                    Self.cgroupDirectories(under: "/sys/fs/cgroup/" + h, named: cgroupSubtree)
                } ?? []
            var live = false
            for d in dirs {
                let procs = (try? String(contentsOfFile: d + "/cgroup.procs", encoding: .utf8)) ?? ""
                for line in procs.split(separator: "\n") {
                    if let pid = Int32(line) { Glibc.kill(pid, SIGKILL); live = true }
                }
            }
            for d in dirs.sorted(by: { $0.count > $1.count }) { rmdir(d) }
            if !live { break }
            usleep(20_000)
        }
    }

    /// Directories below `root` (a few levels deep) at or below one called `name`.
    static func cgroupDirectories(under root: String, named name: String, depth: Int = 4) -> [String] {
        guard depth > 0, let children = try? FileManager.default.contentsOfDirectory(atPath: root) else { return [] }
        var found: [String] = []
        for child in children {
            let path = root + "/" + child
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { continue }
            if child == name {
                found.append(path)
                found += allDirectories(under: path)
            } else {
                found += cgroupDirectories(under: path, named: name, depth: depth - 1)
            }
        }
        return found
    }

    static func allDirectories(under root: String) -> [String] {
        let children = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return children.flatMap { child -> [String] in
            let path = root + "/" + child
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return [] }
            return [path] + allDirectories(under: path)
        }
    }

    /// The cluster.yaml this controller was started with (a copy of the repository's).
    var clusterFile: String { dir + "/cluster.yaml" }

    /// An agent token for `node`, for agents a test starts itself.
    func createAgentToken(_ node: String) async throws {
        let t: TokenView = try await post(
            "/v1/tokens", TokenRequest(user: "agent-\(node)", node: node), token: adminToken)
        agentTokens[node] = t.secret
    }

    /// Starts the controller and agents for `nodes`, and waits until those nodes are up.
    func start(nodes: [String] = ["dgx01", "dgx02", "dgx03", "dgx04", "dgx05", "dgx06"]) async throws {
        try await startController()
        for n in nodes {
            let t: TokenView = try await post(
                "/v1/tokens", TokenRequest(user: "agent-\(n)", node: n), token: adminToken)
            agentTokens[n] = t.secret
            try startAgent(n)
        }
        try await waitFor("nodes \(nodes) up", timeout: 60) {
            let list: NodeList = try await self.get("/v1/nodes", token: self.adminToken)
            return nodes.allSatisfy { n in list.nodes.first { $0.name == n }?.state == .up }
        }
    }

    /// Below Linux's ephemeral range (32768-60999), where the run's own outgoing connections (agents, test
    /// clients) take their ports: a port drawn there could be taken, and the controller could not listen.
    static func drawPort() -> Int { Int.random(in: 20_000...32_766) }

    /// Starts the controller: with `--init` the first time (a new cluster state), over that state after.
    /// Clusters of tests running at once draw their ports independently, so two may draw the same one: at
    /// a first start (no agent yet, no port named in `controllerArguments`), a controller that could not
    /// listen because its port was taken is started again on ports drawn anew, up to five times.
    func startController() async throws {
        for attempt in 1...5 {
            do {
                return try await startControllerOnce()
            } catch is PortTaken where attempt < 5 && agents.isEmpty && controllerArguments.isEmpty {
                port = Self.drawPort()
                agentPort = port + 1
            }
        }
    }

    /// A controller that exited because another process held its port.
    struct PortTaken: Error, CustomStringConvertible {
        var description: String
    }

    private func startControllerOnce() async throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try Self.binary("schedulerd"))
        p.arguments = [
            "--cluster", clusterFile, "--state", dir + "/state",
            "--listen", "127.0.0.1:\(port)", "--heartbeat", heartbeat, "--lease", lease, "--kill-grace", killGrace,
            "--down-after", downAfter, "--log-level", "warning", "--agent-listen", "127.0.0.1:\(agentPort)",
        ]
        p.arguments! += certificates.map { ["--tls-cert", $0.certificateFile, "--tls-key", $0.keyFile] } ?? []
        p.arguments! += controllerArguments
        // The first start that gets as far as making the state takes --init; every start after it, not.
        if !FileManager.default.fileExists(atPath: dir + "/state/state.sqlite") { p.arguments?.append("--init") }
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = try logFile("schedulerd")
        try p.run()
        controller = p
        // Short attempts: after a SIGKILL a pooled connection to the old process may hang until it times out.
        try await waitFor("the controller to serve", timeout: 60) {
            // A controller that exited (it could not listen, say) will never serve: say so, with its log.
            if let c = self.controller, !c.isRunning {
                let why = "the controller exited (status \(c.terminationStatus)) before serving\n\(self.logs())"
                let log = (try? String(contentsOfFile: self.dir + "/schedulerd.log", encoding: .utf8)) ?? ""
                if log.contains("already in use") { throw PortTaken(description: why) }
                throw ClusterError(why)
            }
            guard (try? await self.raw("GET", "/healthz", token: nil, timeout: 2))?.status == 200,
                let token = try? String(contentsOfFile: self.dir + "/state/admin.token", encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty
            else { return false }
            // Another cluster's controller may answer on a port this one could not take (this one then exits):
            // only this one knows this cluster's admin token.
            return (try? await self.raw("GET", "/v1/nodes", token: token, timeout: 2))?.status == 200
        }
        adminToken = try String(contentsOfFile: dir + "/state/admin.token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func startAgent(_ node: String, topology: String = LocalCluster.topology) throws {
        let tokenFile = dir + "/\(node).token"
        try agentTokens[node, default: ""].write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try Self.binary("schedagent"))
        p.arguments =
            [
                "run", "--controller", agentBase, "--node", node, "--topology", topology, "--token-file", tokenFile,
                "--state-dir", dir + "/agent-\(node)", "--grace", "2s", "--log-level", "warning",
                // Jobs run as this test's own user (the tests of identity make real accounts); each cluster's
                // job cgroups go under a subtree of its own, removed by stop().
                "--run-as", runAs, "--cgroup-parent", "\(cgroupSubtree)/\(node)",
            ] + (certificates.map { ["--ca-file", $0.caFile] } ?? []) + agentArguments
        p.environment = ProcessInfo.processInfo.environment.merging(agentEnvironment) { _, agent in agent }
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = try logFile("agent-\(node)")
        try p.run()
        agents[node] = p
    }

    private func logFile(_ name: String) throws -> FileHandle {
        let path = dir + "/\(name).log"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let h = FileHandle(forWritingAtPath: path) else { throw ClusterError("cannot write \(path)") }
        h.seekToEndOfFile()
        return h
    }

    /// The daemons' logs, for failure messages.
    func logs() -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.filter { $0.hasSuffix(".log") } ?? []
        return names.sorted().map { n in
            "== \(n)\n" + ((try? String(contentsOfFile: dir + "/" + n, encoding: .utf8)) ?? "").suffix(3000)
        }.joined(separator: "\n")
    }

    func kill(_ p: Process?, signal: Int32 = SIGKILL) {
        guard let p, p.isRunning else { return }
        Glibc.kill(p.processIdentifier, signal)
        p.waitUntilExit()
    }

    func killController() { kill(controller) }
    func killAgent(_ node: String) { kill(agents[node]) }

    /// Stops everything: agents first, then the controller, then every process left in the cluster's
    /// directory or cgroups (jobs, watchdogs); removes the cgroups and the directory. Synchronous, so a test's
    /// `defer` has finished it before the test returns, pass or fail.
    func stopNow() {
        for p in agents.values { kill(p, signal: SIGTERM) }
        kill(controller, signal: SIGTERM)
        // Jobs left behind by killed agents, the agents' watchdogs and the jobs' children. Not every job
        // names the directory in its command line (`sh -c 'sleep 300'` execs `sleep 300`), nor is every job in
        // a cgroup (where the agent may not make them, it runs jobs unconfined), but each runs in the
        // directory (`work/`): found by working directory as well as by command line.
        killProcesses()
        removeCgroups()
        try? FileManager.default.removeItem(atPath: dir)
        try? client.syncShutdown()
    }

    /// Kills every process whose command line names this cluster's directory or which runs in it, until none
    /// is left (a dying shell may still fork).
    func killProcesses() { Self.killProcesses(in: dir) }

    /// Kills every process whose command line names `dir` or which runs in it, until none is left.
    static func killProcesses(in dir: String) {
        for _ in 0..<50 {
            let live = processes(in: dir)
            if live.isEmpty { return }
            for pid in live { Glibc.kill(pid, SIGKILL) }
            usleep(20_000)
        }
    }

    /// The live processes (not zombies, not this one) whose command line names `dir`, or whose working
    /// directory is `dir` or below it (removed or not).
    static func processes(in dir: String) -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap(Int32.init).filter { pid in
            guard pid != getpid(), isAlive(pid) else { return false }
            let cwd = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")) ?? ""
            if cwd == dir || cwd.hasPrefix(dir + "/") { return true }
            let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            return String(decoding: cmdline, as: UTF8.self).contains(dir)
        }
    }

    /// Whether `pid` is a process that has not ended (a zombie has).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    /// `stopNow()`, for callers in async code.
    func stop() async { stopNow() }

    // MARK: HTTP

    struct Raw {
        var status: UInt
        var body: Data
        var headers: [String: String]
    }

    func raw(_ method: String, _ path: String, token: String?, body: Data? = nil, timeout: Int64 = 30) async throws
        -> Raw
    {
        var r = HTTPClientRequest(url: base + path)
        r.method = .init(rawValue: method)
        r.tlsConfiguration = clientTLS
        if let token { r.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            r.headers.add(name: "Content-Type", value: "application/json")
            r.body = .bytes(ByteBuffer(data: body))
        }
        let response = try await client.execute(r, timeout: .seconds(timeout))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        var headers: [String: String] = [:]
        for h in response.headers { headers[h.name.lowercased()] = h.value }
        return Raw(status: response.status.code, body: Data(buffer: bytes), headers: headers)
    }

    func get<T: Decodable>(_ path: String, token: String) async throws -> T {
        let r = try await raw("GET", path, token: token)
        guard r.status == 200 else {
            throw ClusterError("GET \(path): \(r.status) \(String(decoding: r.body, as: UTF8.self))")
        }
        return try JSONDecoder().decode(T.self, from: r.body)
    }

    func post<T: Decodable, B: Encodable>(_ path: String, _ body: B, token: String) async throws -> T {
        let r = try await raw("POST", path, token: token, body: try JSONEncoder().encode(body))
        guard r.status == 200 || r.status == 201 else {
            throw ClusterError("POST \(path): \(r.status) \(String(decoding: r.body, as: UTF8.self))")
        }
        return try JSONDecoder().decode(T.self, from: r.body)
    }

    func submit(_ s: SubmitRequest, token: String? = nil) async throws -> JobView {
        try await post("/v1/jobs", s, token: token ?? adminToken)
    }

    func job(_ id: Int64) async throws -> JobView { try await get("/v1/jobs/\(id)", token: adminToken) }

    func output(_ id: Int64) async throws -> String {
        String(decoding: try await raw("GET", "/v1/jobs/\(id)/output", token: adminToken).body, as: UTF8.self)
    }

    /// Waits for the job to reach one of `states`; a job that ends in another state fails the wait at once,
    /// saying how it ended.
    @discardableResult
    func waitForJob(_ id: Int64, in states: Set<JobState>, timeout: Double = 60) async throws -> JobView {
        var last: JobView?
        do {
            try await waitFor("job \(id) to be \(states.map(\.rawValue).sorted())", timeout: timeout) {
                last = try? await self.job(id)
                guard let job = last else { return false }
                if states.contains(job.state) { return true }
                if job.state.isFinal { throw ClusterError("job \(id) ended instead") }
                return false
            }
        } catch {
            let how = last.map { j in
                "\(j.state) (reason: \(j.endReason ?? "none"), exit code: \(j.exitCode.map(String.init) ?? "none"), "
                    + "signal: \(j.signal.map(String.init) ?? "none"), on \(j.allocation?.nodes.map(\.node) ?? []))"
            }
            throw ClusterError("\(error); it is \(how ?? "?")\n\(logs())")
        }
        return last!
    }

    func waitFor(_ what: String, timeout: Double, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ClusterError("timed out after \(timeout)s waiting for \(what)")
    }

    /// How a run of one of the package's tools ended, and what it wrote.
    struct Tool {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a binary built beside the tests with `arguments`, in `environment` alone (and a PATH, and no
    /// schedctl server unless it says so: none outlives a test), in `directory` (the test's by default), to its
    /// end. Its output goes to files, so neither stream can fill a pipe and stall it; its standard input is
    /// empty, whatever the test runner's is. One that runs past `limit` seconds is killed and is an error
    /// that shows what it wrote, so a client that hangs fails its test instead of holding the run.
    static func tool(
        _ binary: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
        limit: Double = 120
    ) throws -> Tool {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "raspored-tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outFile = scratch.appendingPathComponent("stdout")
        let errFile = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try Self.binary(binary))
        p.arguments = arguments
        p.environment = ["PATH": "/usr/bin:/bin", "RASPORED_SCHEDCTL_SERVER": "off"].merging(environment) {
            _, given in given
        }
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        p.standardOutput = try FileHandle(forWritingTo: outFile)
        p.standardError = try FileHandle(forWritingTo: errFile)
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(limit)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning {
            Glibc.kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let out = (try? String(contentsOf: outFile, encoding: .utf8)) ?? ""
            let err = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
            throw ClusterError(
                "\(binary) \(arguments.joined(separator: " ")) ran past \(limit) s and was killed; "
                    + "it wrote:\n\(out)\n\(err)")
        }
        return Tool(
            status: p.terminationStatus, stdout: try String(contentsOf: outFile, encoding: .utf8),
            stderr: try String(contentsOf: errFile, encoding: .utf8))
    }

    /// `tool(_:_:environment:)` on this cluster's machine, in `directory` or the cluster's work directory: a job
    /// submitted from there writes its output there, not in the folder the tests run in.
    func tool(
        _ binary: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
        limit: Double = 120
    ) throws -> Tool {
        try Self.tool(binary, arguments, environment: environment, directory: directory ?? dir + "/work", limit: limit)
    }

    /// A shell command whose command line names this cluster's directory, so `stop()` finds it.
    func sh(_ script: String) -> [String] { ["/bin/sh", "-c", script, dir] }

    /// A job running `command` in this cluster's work directory, 1 h limit unless given.
    func job(_ command: [String], gpus: Int, time: TimeSpan = .hours(1), name: String? = nil) -> SubmitRequest {
        SubmitRequest(
            request: ResourceRequest(gpus: gpus, account: "ivi", time: time), name: name, command: command,
            workdir: dir + "/work")
    }
}

struct ClusterError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
