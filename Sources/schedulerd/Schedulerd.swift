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

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        _ = try address()
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
        let core = try ControllerCore(spec: spec, store: store, logger: logger)
        await core.schedule()
        let (host, port) = try address()
        let app = Application(
            router: APIRouter.make(core: core),
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
