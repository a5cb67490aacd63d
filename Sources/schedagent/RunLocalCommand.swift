import Agent
import ArgumentParser
import Foundation
import Glibc
import RasporedAPI
import Scheduler
import Synchronization

/// `schedagent run-local`: run one job on this machine, by hand, the way the controller would.
struct RunLocalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-local",
        abstract: "Run one job here with the given GPUs, cores and NUMA memory, and wait for it.",
        discussion: "Exit status: the job's own, or 128+signal when a signal ended it.")

    @Option(name: .long, help: "GPU indices (PCI bus order), e.g. 0,1.")
    var gpus: String?

    @Option(name: .long, help: "Physical cores (hwloc logical index), e.g. 0-3; all their hardware threads are used.")
    var cores: String?

    @Option(name: .long, help: "Logical CPUs (OS indexes) instead of --cores.")
    var cpus: String?

    @Option(name: .long, help: "NUMA nodes (OS indexes) to bind memory to.")
    var numa: String?

    @Option(name: .long, help: "Output file template (%j job id, %x name, %N host).")
    var output: String = "raspored-%j.out"

    @Option(name: .long, help: "Separate stderr file template.")
    var error: String?

    @Option(name: .long, help: "Time limit, e.g. 30s, 10m, 1h.")
    var time: String?

    @Option(name: .long, help: "Job id (default: local-<pid>).")
    var jobId: String?

    @Option(name: .long, help: "Job name.")
    var name: String = "local"

    @Option(name: .long, help: "State directory.")
    var stateDir: String = ".schedagent"

    @Argument(parsing: .postTerminator, help: "The command, after --.")
    var command: [String] = []

    private var argv: [String] { command.first == "--" ? Array(command.dropFirst()) : command }

    /// The given job id, else local-PID (with the time appended when an old record already has that name).
    private var id: String {
        if let jobId { return jobId }
        let base = "local-\(ProcessInfo.processInfo.processIdentifier)"
        return FileManager.default.fileExists(atPath: recordPath(base))
            ? "\(base)-\(Int(Date().timeIntervalSince1970))" : base
    }

    private func recordPath(_ id: String) -> String {
        URL(fileURLWithPath: stateDir).appendingPathComponent("jobs/\(id).json").path
    }

    private static func list(_ text: String?, _ what: String) throws -> [Int] {
        guard let text else { return [] }
        guard let ids = RangeList.expandIntegers(text), !ids.isEmpty else {
            throw ValidationError("--\(what) '\(text)' is not a list like 0-3,8")
        }
        return ids
    }

    /// Every argument is checked before anything starts, against this machine where it names hardware.
    func validate() throws {
        guard !argv.isEmpty else { throw ValidationError("give the command after --") }
        if cores != nil && cpus != nil { throw ValidationError("give --cores or --cpus, not both") }
        _ = try Self.list(gpus, "gpus")
        if let time, TimeSpan(parsing: time) == nil { throw ValidationError("--time '\(time)' is not a duration") }
        guard StateDirectory.isValidJobId(id) else {
            throw ValidationError("--job-id '\(id)': letters, digits, '.', '_' and '-' only, not starting with '.'")
        }
        if FileManager.default.fileExists(atPath: recordPath(id)) {
            throw ValidationError("job id \(id) already exists in \(stateDir)")
        }
        let wantedCores = try Self.list(cores, "cores")
        let wantedCPUs = try Self.list(cpus, "cpus")
        let wantedNUMA = try Self.list(numa, "numa")
        guard !(wantedCores.isEmpty && wantedCPUs.isEmpty && wantedNUMA.isEmpty) else { return }
        let node: DiscoveredNode
        do { node = try DiscoveredNode.discover(.live) } catch {
            throw ValidationError("cannot check --cores/--cpus/--numa against this machine: \(error)")
        }
        let coreIndexes = Set(node.coreList.map(\.index))
        if let bad = wantedCores.first(where: { !coreIndexes.contains($0) }) {
            throw ValidationError(
                "--cores: core \(bad) is not on this machine (cores \(RangeList.compact(coreIndexes.sorted())))")
        }
        let pus = Set(node.puList)
        if let bad = wantedCPUs.first(where: { !pus.contains($0) }) {
            throw ValidationError("--cpus: CPU \(bad) is not on this machine (CPUs \(RangeList.compact(pus.sorted())))")
        }
        let domains = Set(node.numaNodes.map(\.index))
        if let bad = wantedNUMA.first(where: { !domains.contains($0) }) {
            throw ValidationError(
                "--numa: NUMA node \(bad) is not on this machine (NUMA nodes \(RangeList.compact(domains.sorted())))")
        }
    }

    func run() async throws {
        let argv = argv
        let id = id
        var request = LaunchRequest(
            jobId: id, name: name, command: argv, workingDirectory: FileManager.default.currentDirectoryPath)
        request.gpus = try Self.list(gpus, "gpus")
        request.mems = try Self.list(numa, "numa")
        request.output = output
        request.error = error
        if let cores {
            let wanted = Set(try Self.list(cores, "cores"))
            let node = try DiscoveredNode.discover(.live)
            let known = node.coreList.filter { wanted.contains($0.index) }
            request.cpus = known.flatMap(\.cpus).sorted()
            request.coreCount = known.count
        } else {
            request.cpus = try Self.list(cpus, "cpus")
        }
        if let time {
            guard let span = TimeSpan(parsing: time) else {
                throw ValidationError("--time '\(time)' is not a duration")
            }
            request.timeLimit = .seconds(span.seconds)
        }
        let launcher = try JobLauncher(
            stateDirectory: stateDir, shimExecutable: try execShim(), gracePeriod: .seconds(10))
        // Ctrl-C, SIGTERM and SIGHUP stop the job rather than the agent alone, which would orphan it: the
        // agent ignores them (the exec-bound shim restores default actions for the job) and cancels the job,
        // then waits for it to end like any other.
        let received = Mutex<String?>(nil)
        let sources = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP")].map { number, name in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                received.withLock { $0 = $0 ?? name }
                Task { await launcher.cancel(id, reason: "the agent received \(name)") }
            }
            source.resume()
            return source
        }
        defer { for source in sources { source.cancel() } }
        let started = try await launcher.launch(request)
        // A signal that came before the launcher knew the job is acted on now.
        if let name = received.withLock({ $0 }) { await launcher.cancel(id, reason: "the agent received \(name)") }
        FileHandle.standardError.write(
            Data("job \(id) started, pid \(started.pid ?? 0), output \(started.stdoutPath)\n".utf8))
        guard let done = await launcher.wait(id) else { throw CLIError("job \(id) vanished") }
        FileHandle.standardError.write(
            Data("job \(id) \(done.state.rawValue)\(done.reason.map { ": \($0)" } ?? "")\n".utf8))
        if let signal = done.signal { throw ExitCode(128 + signal) }
        if let code = done.exitCode, code != 0 { throw ExitCode(code) }
    }
}

/// The binding shim `raspored-exec`, installed beside `schedagent`.
func execShim() throws -> String {
    let path = URL(fileURLWithPath: try selfExecutable()).deletingLastPathComponent().appendingPathComponent(
        "raspored-exec"
    )
    .path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw CLIError("the binding shim \(path) is missing: install raspored-exec beside schedagent")
    }
    return path
}

/// This executable's path.
func selfExecutable() throws -> String {
    let path = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    return path
}
