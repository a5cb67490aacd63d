import Agent
import ArgumentParser
import Foundation
import Glibc
import Logging
import RasporedAPI
import Scheduler

/// `schedagent run`: the node agent connected to its controller.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the node agent: register with the controller, launch the runs it assigns, report them.",
        discussion: """
            The token comes from --token-file, else the environment variable RASPORED_TOKEN. With --topology \
            the agent stands in for the node that file describes (its CPUs and NUMA nodes are not this \
            machine's), so by default jobs run unbound; the allocation is still in their environment. \
            SIGTERM or SIGINT stops the agent, not its jobs: a restarted agent adopts them.
            """)

    @Option(help: ArgumentHelp("The controller's URL.", valueName: "url"))
    var controller: String

    @Option(help: ArgumentHelp("This node's name in cluster.yaml.", valueName: "name"))
    var node: String

    @Option(
        help: ArgumentHelp("Read an hwloc XML export instead of this machine (a stand-in node).", valueName: "file"))
    var topology: String?

    @Option(help: ArgumentHelp("A file holding the bearer token (else $RASPORED_TOKEN).", valueName: "file"))
    var tokenFile: String?

    @Option(help: ArgumentHelp("State directory (default .schedagent/NODE).", valueName: "dir"))
    var stateDir: String?

    @Option(help: ArgumentHelp("Time between SIGTERM and SIGKILL when a run is stopped.", valueName: "duration"))
    var grace = "10s"

    @Option(help: "CPU and memory binding: auto (exact with live discovery, none with --topology), exact, none.")
    var bind: BindingMode = .auto

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard let url = URL(string: controller), let scheme = url.scheme, ["http", "https"].contains(scheme),
            url.host != nil
        else {
            throw ValidationError("--controller takes a URL such as http://127.0.0.1:8420, not '\(controller)'")
        }
        guard StateDirectory.isValidJobId(node) else {
            throw ValidationError("--node '\(node)': letters, digits, '.', '_' and '-' only")
        }
        guard TimeSpan(parsing: grace) != nil else { throw ValidationError("--grace '\(grace)' is not a duration") }
    }

    func run() async throws {
        var logger = Logger(label: "raspored.schedagent")
        logger.logLevel = logLevel
        logger[metadataKey: "node"] = "\(node)"

        let token = try readToken()
        let discovered: DiscoveredNode
        do {
            discovered = try DiscoveredNode.discover(topology.map { .xml(path: $0) } ?? .live)
        } catch {
            throw CLIError("discovery failed: \(error)")
        }
        let binds = bind.binds(standIn: topology != nil)
        let stateDir = stateDir ?? ".schedagent/\(node)"
        let graceSeconds = TimeSpan(parsing: grace)!.seconds
        let launcher: JobLauncher
        do {
            launcher = try JobLauncher(
                stateDirectory: stateDir, shimExecutable: try execShim(), gracePeriod: .seconds(graceSeconds),
                host: node, runAs: runAs, confinement: try confinement(discovered, logger: logger))
        } catch {
            throw CLIError("cannot open the state directory \(stateDir): \(error)")
        }
        // Jobs get the environment their assignment carries, never this process's (its token among it).
        let mapping = AssignmentMapping(node: discovered, bind: binds)
        // The watchdog stops the runs when the lease lapses and this agent cannot (stopped, hung, gone).
        var sessionConfiguration = AgentSession.Configuration(node: node, version: "schedagent")
        do {
            sessionConfiguration.watchdogPid = try Watchdog.spawn(
                executable: try selfExecutable(), stateDirectory: stateDir)
        } catch {
            throw CLIError("cannot start the watchdog: \(error)")
        }
        let session = AgentSession(
            configuration: sessionConfiguration, discovered: discovered, launcher: launcher,
            mapping: mapping, transport: HTTPControllerClient(baseURL: controller, node: node, token: token),
            logger: logger)
        logger.info(
            "starting",
            metadata: [
                "controller": "\(controller)", "state": "\(stateDir)", "binding": "\(binds ? "exact" : "none")",
                "topology": "\(topology ?? "live")",
            ])

        // SIGTERM/SIGINT stop the agent; its jobs keep running and the next agent adopts them.
        let task = Task { try await session.run() }
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { task.cancel() }
            source.resume()
            return source
        }
        defer { for source in sources { source.cancel() } }
        do {
            try await task.value
            logger.info("stopped; running jobs keep running and are adopted by the next agent")
        } catch let error as ControllerCallError {
            throw CLIError("\(error)")
        }
    }

    private func readToken() throws -> String {
        let token: String
        if let tokenFile {
            do { token = try String(contentsOfFile: tokenFile, encoding: .utf8) } catch {
                throw CLIError("cannot read --token-file \(tokenFile): \(error.localizedDescription)")
            }
        } else if let value = ProcessInfo.processInfo.environment["RASPORED_TOKEN"] {
            token = value
        } else {
            throw CLIError("no token: give --token-file FILE or set RASPORED_TOKEN")
        }
        let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw CLIError(tokenFile.map { "the token file \($0) is empty" } ?? "RASPORED_TOKEN is empty")
        }
        return trimmed
    }
}

extension BindingMode: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
