import ArgumentParser
import Controller
import Foundation
import Hummingbird
import Logging
import Scheduler

/// The controller daemon: serves the API (docs/api.md) over the state in `--state` until SIGTERM or SIGINT.
@main
struct Schedulerd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedulerd",
        abstract: "The Raspored controller: jobs, nodes and tokens over HTTP/JSON.",
        discussion: """
            At first start it creates an admin token and writes it to STATE/admin.token (mode 0600).
            The API is documented in docs/api.md.
            """)

    @Option(help: "The cluster description.")
    var cluster = "cluster.yaml"

    @Option(help: ArgumentHelp("The state directory (created when absent).", valueName: "dir"))
    var state: String

    @Option(help: ArgumentHelp("Address and port to serve on.", valueName: "host:port"))
    var listen = "127.0.0.1:8420"

    @Option(help: ArgumentHelp("Longest wait between an agent's heartbeats (its long poll).", valueName: "duration"))
    var heartbeat = "5s"

    @Option(help: ArgumentHelp("Declare a node down after this long without a heartbeat.", valueName: "duration"))
    var downAfter = "30s"

    @Flag(help: "Place jobs on every node of cluster.yaml even without a registered agent (testing only).")
    var withoutAgents = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        _ = try address()
        _ = try settings()
    }

    func settings() throws -> ControllerSettings {
        guard let h = TimeSpan(parsing: heartbeat), h.seconds > 0 else {
            throw ValidationError("--heartbeat takes a duration such as 5s, not '\(heartbeat)'")
        }
        guard let d = TimeSpan(parsing: downAfter), d.seconds > h.seconds else {
            throw ValidationError("--down-after takes a duration longer than --heartbeat (\(heartbeat)), not '\(downAfter)'")
        }
        return ControllerSettings(
            requireAgents: !withoutAgents, heartbeatSeconds: Double(h.seconds), downAfterSeconds: Double(d.seconds),
            outputDirectory: URL(fileURLWithPath: state).appendingPathComponent("output").path)
    }

    func address() throws -> (host: String, port: Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65535).contains(port), colon != listen.startIndex
        else {
            throw ValidationError("--listen takes HOST:PORT, such as 127.0.0.1:8420, not '\(listen)'")
        }
        return (String(listen[..<colon]), port)
    }

    func run() async throws {
        var logger = Logger(label: "raspored.schedulerd")
        logger.logLevel = logLevel
        let spec: ClusterSpec
        do { spec = try ClusterSpec.load(file: cluster) } catch { throw ValidationError("\(error)") }
        let store = try StateStore(directory: state)
        if let path = try AdminToken.bootstrap(store: store, directory: state, at: ControllerCore.wallClock()) {
            // Unbuffered, so it shows before the logs (stderr) when both go to one terminal or file.
            FileHandle.standardOutput.write(Data("schedulerd: admin token written to \(path)\n".utf8))
        }
        let core = try ControllerCore(spec: spec, store: store, settings: try settings(), logger: logger)
        await core.schedule()
        // Declares silent nodes down and backstops time limits.
        let sweeper = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                await core.sweep()
            }
        }
        defer { sweeper.cancel() }
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
        let (host, port) = try address()
        let app = Application(
            router: APIRouter.make(core: core, clusterFile: cluster),
            configuration: .init(address: .hostname(host, port: port), serverName: "schedulerd"),
            logger: logger)
        logger.info(
            "serving", metadata: ["listen": "\(host):\(port)", "cluster": "\(spec.name)", "state": "\(state)"])
        // Hummingbird runs the server as a swift-service-lifecycle service: SIGTERM/SIGINT shut it down
        // gracefully (requests in flight finish).
        try await app.runService()
        try store.close()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
