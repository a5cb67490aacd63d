import Agent
import ArgumentParser
import ClientTrust
import Foundation
import Glibc
import Logging
import NIOSSL
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

    @Option(
        help: ArgumentHelp(
            "Trust the CAs in this PEM file (not the system's) for an https controller's certificate.",
            valueName: "file"))
    var caFile: String?

    @Flag(
        help: "Allow an http:// controller URL on another machine (the token then crosses the network in the clear).")
    var allowPlainHTTP = false

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

    @Option(
        help: ArgumentHelp(
            "Whose identity jobs run with: submitter (the job user's Unix account on this node; needs root), or agent (the agent's own user, for a personal stand-in cluster).",
            valueName: "who"))
    var runAs: RunAs = .submitter

    @Option(
        help: ArgumentHelp(
            "Job cgroups: auto (when the agent may make them), cgroup (required: a job that cannot be confined fails), none.",
            valueName: "mode"))
    var confine: ConfineMode = .auto

    @Option(
        help: ArgumentHelp(
            "The cgroup subtree jobs are confined in: below the agent's own cgroup, or from the hierarchy's root when it starts with / (default raspored/NODE).",
            valueName: "path"))
    var cgroupParent: String?

    @Option(help: ArgumentHelp("At most this many processes and threads per job (pids.max).", valueName: "n"))
    var pidsMax = 16_384

    @Option(
        help: ArgumentHelp(
            "How often running jobs are sampled for their efficiency: CPU and memory from their cgroups, GPU "
                + "utilisation, memory and power from NVML or ROCm SMI where the node has them.",
            valueName: "duration"))
    var sampleInterval = "30s"

    func validate() throws {
        guard let url = URL(string: controller), let scheme = url.scheme, ["http", "https"].contains(scheme),
            url.host != nil
        else {
            throw ValidationError("--controller takes a URL such as http://127.0.0.1:8420, not '\(controller)'")
        }
        // Every request carries the node's token: only loopback may see it unencrypted.
        guard allowPlainHTTP || PlainHTTP.allows(url: url) else {
            throw ValidationError(PlainHTTP.clientRefusal(controller))
        }
        guard StateDirectory.isValidJobId(node) else {
            throw ValidationError("--node '\(node)': letters, digits, '.', '_' and '-' only")
        }
        guard TimeSpan(parsing: grace) != nil else { throw ValidationError("--grace '\(grace)' is not a duration") }
        guard let sample = TimeSpan(parsing: sampleInterval), sample.seconds >= 1 else {
            throw ValidationError("--sample-interval takes a duration of a second or more, not '\(sampleInterval)'")
        }
    }

    func run() async throws {
        var logger = Logger(label: "raspored.schedagent")
        logger.logLevel = logLevel
        logger[metadataKey: "node"] = "\(node)"

        let token = try readToken()
        let tls = try trust()
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
        var mapping = AssignmentMapping(node: discovered, bind: binds)
        // srun and schedctl are installed beside schedagent.
        let tools = URL(fileURLWithPath: try selfExecutable()).deletingLastPathComponent().path
        // Jobs run elsewhere: the CA file by its absolute path.
        let jobsCA = caFile.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
        mapping.steps = StepTools(directory: tools, controller: controller, caFile: jobsCA)
        // The watchdog stops the runs when the lease lapses and this agent cannot (stopped, hung, gone).
        var sessionConfiguration = AgentSession.Configuration(node: node, version: "schedagent")
        sessionConfiguration.sampleInterval = .seconds(TimeSpan(parsing: sampleInterval)!.seconds)
        if !discovered.gpus.isEmpty {
            switch DriverGPUReader.load(discovered.gpuVendor) {
            case .success(let reader): sessionConfiguration.gpuReader = reader
            case .failure(let why): logger.notice("GPU usage is not sampled: \(why)")
            }
        }
        do {
            sessionConfiguration.watchdogPid = try Watchdog.spawn(
                executable: try selfExecutable(), stateDirectory: stateDir)
        } catch {
            throw CLIError("cannot start the watchdog: \(error)")
        }
        let session = AgentSession(
            configuration: sessionConfiguration, discovered: discovered, launcher: launcher,
            mapping: mapping, transport: HTTPControllerClient(baseURL: controller, node: node, token: token, tls: tls),
            logger: logger,
            steps: StepRunner(
                endpoint: .init(baseURL: controller, node: node, token: token, tls: tls), launcher: launcher,
                logger: logger, cores: discovered.coreList.map(\.cpus), tools: mapping.steps?.directory))
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

    /// The trust roots for an https controller: `--ca-file`'s CAs, or nil for the system's.
    private func trust() throws -> TLSConfiguration? {
        guard let caFile else { return nil }
        do { return try ControllerTrust.configuration(caFile: caFile) } catch { throw CLIError("\(error)") }
    }

    /// The jobs' cgroups as `--confine` asks: none, or this machine's layout when the agent may use it.
    private func confinement(_ discovered: DiscoveredNode, logger: Logger) throws -> Confinement? {
        guard confine != .none else { return nil }
        let why: String
        if let layout = CgroupLayout.detect(), geteuid() == 0 {
            return Confinement(
                layout: layout, parent: cgroupParent ?? "raspored/\(node)", pidsMax: pidsMax > 0 ? pidsMax : nil,
                gpuDevices: .discovered(discovered))
        } else if geteuid() != 0 {
            why = "the agent is not root"
        } else {
            why = "no cgroup hierarchy is mounted"
        }
        if confine == .cgroup { throw CLIError("--confine cgroup: jobs cannot be confined here: \(why)") }
        logger.warning("jobs run unconfined (no cgroup per job): \(why)")
        return nil
    }

    private func readToken() throws -> String {
        let token: String
        if let tokenFile {
            // The token is the node's identity to the controller: no job, and no other user, may read it.
            do { try StateDirectory.restrict(tokenFile, mode: 0o600) } catch {
                throw CLIError("--token-file: \(error)")
            }
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
extension RunAs: ExpressibleByArgument {}

/// `--confine`: whether jobs get a cgroup each.
enum ConfineMode: String, ExpressibleByArgument, CaseIterable {
    case auto, cgroup, none
}
extension Logger.Level: @retroactive ExpressibleByArgument {}
