import ArgumentParser
import Controller
import Foundation
import Hummingbird
import Logging
import RasporedAPI
import Scheduler
import ServiceLifecycle

/// The controller daemon: serves the API (docs/api.md) over the state in `--state` until SIGTERM or SIGINT.
@main
struct Schedulerd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedulerd",
        abstract: "The Raspored controller: jobs, nodes and tokens over HTTP/JSON.",
        discussion: """
            The first start of a cluster takes --init: it creates the state directory and database and \
            writes an admin token to STATE/admin.token (mode 0600). Without --init a missing or empty \
            database is refused; with it, an existing one is. See docs/controller.md; the API is in docs/api.md.
            """)

    @Option(help: "The cluster description.")
    var cluster = "cluster.yaml"

    @Option(help: ArgumentHelp("The state directory (created with --init).", valueName: "dir"))
    var state: String

    @Flag(name: .customLong("init"), help: "Create a new cluster state in --state (refused where one exists).")
    var initialize = false

    @Option(help: ArgumentHelp("Address and port to serve on.", valueName: "host:port"))
    var listen = "127.0.0.1:8420"

    @Option(help: ArgumentHelp("Longest wait between an agent's heartbeats (its long poll).", valueName: "duration"))
    var heartbeat = "\(Int(ControllerSettings.defaultHeartbeatSeconds))s"

    @Option(
        help: ArgumentHelp(
            "An agent with no answer from the controller for this long stops its jobs (at least 2 × --heartbeat).",
            valueName: "duration"))
    var lease = "\(Int(ControllerSettings.defaultLeaseSeconds))s"

    @Option(
        help: ArgumentHelp("SIGTERM to SIGKILL for jobs stopped when an agent's lease lapses.", valueName: "duration"))
    var killGrace = "\(Int(ControllerSettings.defaultKillGraceSeconds))s"

    @Option(
        help: ArgumentHelp(
            "Declare a node down and requeue its jobs after this long without a heartbeat "
                + "(at least --lease + --kill-grace + --heartbeat).", valueName: "duration"))
    var downAfter = "\(Int(ControllerSettings.defaultDownAfterSeconds))s"

    @Option(
        help: ArgumentHelp(
            "A second address for the agents alone (registrations, heartbeats, output), with connections of its "
                + "own, so no load of users' requests delays a heartbeat. Agents may still use --listen.",
            valueName: "host:port"))
    var agentListen: String?

    @Option(
        help: ArgumentHelp(
            "Close a connection whose request head has not arrived this long after it opened (or after the "
                + "previous answer).", valueName: "duration"))
    var idleTimeout = "30s"

    @Option(
        help: ArgumentHelp(
            "Close a connection whose request body has not ended this long after its head.", valueName: "duration"))
    var bodyTimeout = "60s"

    @Option(
        help: ArgumentHelp(
            "Most connections open at once on --listen (more wait in the backlog); default: from the open-file "
                + "limit, which schedulerd raises to its hard maximum at start.", valueName: "n"))
    var maxConnections: Int?

    @Option(
        help: ArgumentHelp(
            "Serve HTTPS on every listener with this certificate (PEM; the server's certificate first, then any "
                + "intermediates). Needs --tls-key.", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The private key of --tls-cert (PEM, unencrypted).", valueName: "file"))
    var tlsKey: String?

    @Flag(
        help: "Serve plain HTTP on an address other than loopback (tokens then cross the network in the clear).")
    var allowPlainHTTP = false

    @Flag(help: "Place jobs on every node of cluster.yaml even without a registered agent (testing only).")
    var withoutAgents = false

    @Option(
        help: ArgumentHelp(
            "Delete ended jobs and their runs from the state this long after they ended (such as 400d); "
                + "default: keep them. History and usage reports reach back no further.", valueName: "duration"))
    var keepHistory: String?

    @Option(
        help: ArgumentHelp(
            "A running job whose every GPU stays under this utilisation (percent, as its agent samples it) for "
                + "--idle-gpu-after is flagged as holding idle GPUs.", valueName: "percent"))
    var idleGpuUtilization: Double = 5

    @Option(help: ArgumentHelp("How long GPUs stay idle before the job is flagged (0: never).", valueName: "duration"))
    var idleGpuAfter = "1h"

    @Option(
        help: ArgumentHelp(
            "A program run (no shell) once for each job newly flagged as holding idle GPUs, with the job in its "
                + "environment (RASPORED_JOB_ID, RASPORED_JOB_USER, ...): to tell its owner.", valueName: "program"))
    var idleGpuHook: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        _ = try address(listen, flag: "listen")
        if let agentListen { _ = try address(agentListen, flag: "agent-listen") }
        try checkTransport()
        _ = try settings()
        _ = try limits(descriptors: 1024)
        if let m = maxConnections, m < 1 { throw ValidationError("--max-connections must be at least 1, not \(m)") }
    }

    /// TLS takes both files; without it, each listener must be on loopback unless `--allow-plain-http`.
    func checkTransport() throws {
        switch (tlsCert, tlsKey) {
        case (nil, nil): break
        case (_?, _?): return
        case (_?, nil): throw ValidationError("--tls-cert needs --tls-key (the certificate's private key)")
        case (nil, _?): throw ValidationError("--tls-key needs --tls-cert (the certificate it belongs to)")
        }
        guard !allowPlainHTTP else { return }
        for (flag, text) in [("listen", listen), ("agent-listen", agentListen)] {
            guard let text, let bound = try? address(text, flag: flag), !PlainHTTP.isLoopback(host: bound.host) else {
                continue
            }
            throw ValidationError(
                "--\(flag) \(text) would serve plain HTTP beyond this machine, where tokens cross the network in the "
                    + "clear: give --tls-cert FILE --tls-key FILE to serve HTTPS, or --allow-plain-http")
        }
    }

    /// The certificate and key from `--tls-cert` and `--tls-key`, or nil for plain HTTP.
    func serverTLS() throws -> ServerTLS? {
        guard let tlsCert, let tlsKey else { return nil }
        do { return try ServerTLS(certificateFile: tlsCert, keyFile: tlsKey) } catch {
            throw ValidationError("cannot serve HTTPS: \(error)")
        }
    }

    /// The listeners' limits: the timeouts from the flags, the cap from the flag or the descriptor limit.
    func limits(descriptors: Int) throws -> ListenerLimits {
        func seconds(_ flag: String, _ text: String) throws -> Double {
            guard let t = TimeSpan(parsing: text), t.seconds > 0 else {
                throw ValidationError("--\(flag) takes a duration longer than 0 such as 30s, not '\(text)'")
            }
            return Double(t.seconds)
        }
        return ListenerLimits(
            idleSeconds: try seconds("idle-timeout", idleTimeout),
            bodySeconds: try seconds("body-timeout", bodyTimeout),
            maxConnections: maxConnections ?? DescriptorLimit.connections(for: descriptors))
    }

    /// The settings from the flags; the fencing margins' relations are checked here, so a controller whose
    /// agents could run a job twice does not start (`ControllerSettings.fencingProblems`).
    func settings() throws -> ControllerSettings {
        func seconds(_ flag: String, _ text: String, example: String) throws -> Double {
            guard let t = TimeSpan(parsing: text) else {
                throw ValidationError("--\(flag) takes a duration such as \(example), not '\(text)'")
            }
            return Double(t.seconds)
        }
        var settings = ControllerSettings(
            requireAgents: !withoutAgents, heartbeatSeconds: try seconds("heartbeat", heartbeat, example: "5s"),
            downAfterSeconds: try seconds("down-after", downAfter, example: "330s"),
            leaseSeconds: try seconds("lease", lease, example: "5m"),
            killGraceSeconds: try seconds("kill-grace", killGrace, example: "10s"),
            outputDirectory: URL(fileURLWithPath: state).appendingPathComponent("output").path,
            historyRetentionSeconds: try keepHistory.map { text in
                guard let t = TimeSpan(parsing: text), t.seconds >= 3600 else {
                    throw ValidationError(
                        "--keep-history takes a duration of an hour or more such as 400d, not '\(text)'")
                }
                return t.seconds
            })
        guard (0...100).contains(idleGpuUtilization) else {
            throw ValidationError("--idle-gpu-utilization takes a percent from 0 to 100, not \(idleGpuUtilization)")
        }
        guard let idleAfter = TimeSpan(parsing: idleGpuAfter) else {
            throw ValidationError("--idle-gpu-after takes a duration such as 1h, not '\(idleGpuAfter)'")
        }
        settings.idleGPUUtilization = idleGpuUtilization
        settings.idleGPUAfterSeconds = Double(idleAfter.seconds)
        if let idleGpuHook {
            guard idleGpuHook.hasPrefix("/"), FileManager.default.isExecutableFile(atPath: idleGpuHook) else {
                throw ValidationError("--idle-gpu-hook takes the absolute path of an executable, not '\(idleGpuHook)'")
            }
            settings.idleGPUHook = idleGpuHook
        }
        let problems = settings.fencingProblems
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "\n")) }
        return settings
    }

    func address(_ text: String, flag: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port), colon != text.startIndex
        else {
            throw ValidationError("--\(flag) takes HOST:PORT, such as 127.0.0.1:8420, not '\(text)'")
        }
        return (String(text[..<colon]), port)
    }

    func run() async throws {
        var logger = Logger(label: "raspored.schedulerd")
        logger.logLevel = logLevel
        let spec: ClusterSpec
        do { spec = try ClusterSpec.load(file: cluster) } catch { throw ValidationError("\(error)") }
        let tls = try serverTLS()
        let (store, adminToken) = try StateDirectory.open(state, initialize: initialize, at: ControllerCore.wallClock())
        if let path = adminToken {
            // Unbuffered, so it shows before the logs (stderr) when both go to one terminal or file.
            FileHandle.standardOutput.write(Data("schedulerd: admin token written to \(path)\n".utf8))
        }
        let settings = try settings()
        let core = try ControllerCore(spec: spec, store: store, settings: settings, logger: logger)
        logger.info(
            "fencing",
            metadata: [
                "heartbeat": "\(settings.heartbeatSeconds)s", "lease": "\(settings.leaseSeconds)s",
                "killGrace": "\(settings.killGraceSeconds)s", "downAfter": "\(settings.downAfterSeconds)s",
            ])
        await core.schedule()
        // SIGHUP reloads cluster.yaml, as POST /v1/cluster/reload does.
        signal(SIGHUP, SIG_IGN)
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        let clusterFile = cluster
        let hupLogger = logger
        hup.setEventHandler {
            Task {
                let daemon = Principal(tokenId: 0, user: "schedulerd (SIGHUP)", role: .admin)
                do {
                    let added = try await core.reloadCluster(try ClusterSpec.load(file: clusterFile), by: daemon)
                    hupLogger.notice("SIGHUP: cluster description reloaded", metadata: ["added": "\(added)"])
                } catch {
                    hupLogger.error("SIGHUP: cluster description not reloaded", metadata: ["error": "\(error)"])
                }
            }
        }
        hup.resume()
        defer { hup.cancel() }
        let descriptors = DescriptorLimit.raise()
        let limits = try limits(descriptors: descriptors)
        let (host, port) = try address(listen, flag: "listen")
        // Declares silent nodes down and backstops time limits, until the service group shuts down.
        var services: [any Service] = [ControllerSweeper(core: core)]
        if core.settings.historyRetentionSeconds != nil { services.append(HistoryPurger(core: core)) }
        if let agentListen {
            let (agentHost, agentPort) = try address(agentListen, flag: "agent-listen")
            // Room for every node's registration, heartbeat and output shipping at once, and spares.
            var agentLimits = limits
            agentLimits.maxConnections = max(64, spec.nodes.count * 4)
            services.append(
                Application(
                    router: APIRouter.makeForAgents(core: core),
                    server: try agentLimits.server(tls: tls, webSocketRouter: APIRouter.makeSockets(core: core)),
                    configuration: agentLimits.configuration(
                        .hostname(agentHost, port: agentPort), serverName: "schedulerd-agents", logger: logger),
                    logger: logger))
            logger.info(
                "serving agents",
                metadata: ["listen": "\(agentHost):\(agentPort)", "tls": "\(tls != nil)"])
        }
        let app = Application(
            router: APIRouter.make(core: core, clusterFile: cluster),
            server: try limits.server(tls: tls, webSocketRouter: APIRouter.makeSockets(core: core)),
            configuration: limits.configuration(.hostname(host, port: port), serverName: "schedulerd", logger: logger),
            services: services, logger: logger)
        logger.info(
            "serving",
            metadata: [
                "listen": "\(host):\(port)", "tls": "\(tls != nil)", "cluster": "\(spec.name)", "state": "\(state)",
                "maxConnections": "\(limits.maxConnections)", "openFileLimit": "\(descriptors)",
            ])
        // Hummingbird runs the server as a swift-service-lifecycle service: SIGTERM/SIGINT shut it down
        // gracefully (requests in flight finish).
        try await app.runService()
        try store.close()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
