import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// `schedctl submit`: a command after `--`, a batch script with `#RASPORED`/`#SBATCH` lines, or a job file.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a job: a command after --, a batch script, or a job file.",
        discussion: """
            schedctl submit --gpus 4 --time 4h --account ivi -- python train.py
            schedctl submit train.sh [ARGS...]      (#RASPORED and #SBATCH lines at its top)
            schedctl submit --file job.yaml         (the API's submit body as YAML or JSON)
            schedctl submit --array 0-99%8 --dependency afterok:41 train.sh   (tasks 42_0…42_99, at most 8 at once)
            Flags override a script's directives and a job file's fields. Sizes take a unit (256GiB, 64G, \
            2TB); times are minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM:SS or 90s, 30m, 4h, 2d.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "GPUs in total.") var gpus: String?
    @Option(help: "GPU memory in total (instead of --gpus); the engine derives the GPU count.") var gpuMemory: String?
    @Option(help: "Only this GPU model.") var gpuModel: String?
    @Option(help: "Only GPUs with at least this much memory each.") var minGpuMemory: String?
    @Option(help: "Physical CPU cores per node (default: the partition's per GPU).") var cpus: String?
    @Option(help: "Host memory per node (default: the partition's per GPU).") var mem: String?
    @Option(help: "Node-local scratch per node.") var scratch: String?
    @Option(help: "Shared storage.") var storage: String?
    @Option(help: "Nodes; more than one makes a gang of whole nodes.") var nodes: String?
    @Option(help: "GPUs on each node of a multi-node job.") var gpusPerNode: String?
    @Flag(help: "The whole node(s), nothing shared.") var exclusive = false
    @Flag(help: "Refuse, rather than span NUMA domains.") var sameNuma = false
    @Option(help: "Time limit (default: the partition's).") var time: String?
    @Option(help: "Partition (default: the cluster's default).") var partition: String?
    @Option(help: "Account to charge.") var account: String?
    @Option(help: "Job name (default: the script's or program's name).") var name: String?
    @Option(help: "Output file template; %j is the job id (default: the agent's).") var output: String?
    @Option(help: "Working directory on the node (default: the current directory).") var workdir: String?
    @Flag(help: "Fail rather than requeue when the job's node is lost.") var noRequeue = false
    @Option(help: "A job array, one job per task index: 0-99, 1,3,5-7, 0-15:4; %N caps running tasks (0-99%8).")
    var array: String?
    @Option(
        help: ArgumentHelp(
            "Start only after other jobs: afterok:ID[:ID], afterany:ID, afternotok:ID, after:ID, singleton; "
                + "',' all, '?' any."))
    var dependency: String?
    @Option(
        help: ArgumentHelp(
            "Which of your environment variables the job gets: ALL (the default, but for RASPORED_TOKEN and "
                + "SLURM_*/RASPORED_* job variables), NONE, or VAR,VAR=value (ALL,VAR=value adds to ALL)."))
    var export: String?

    @Option(help: "A job file (YAML or JSON) with the API's submit fields.") var file: String?
    @Flag(help: "Show where the job would run now, or why not and when; submit nothing.") var dryRun = false
    @Flag(
        help:
            "Ignore, with a warning, #SBATCH options not understood here even when they may change where or how the job runs (refused otherwise)."
    ) var ignoreUnknown = false
    @Flag(help: "Print only the job id.") var parsable = false
    @Flag(help: "Print the controller's answer as JSON.") var json = false

    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp("A batch script and its arguments, or -- and a command.", valueName: "script|-- command"))
    var command: [String] = []

    /// The flags as options over a script's or file's.
    func flagOptions() throws -> JobOptions {
        var o = JobOptions()
        let given: [(String, String?)] = [
            ("gpus", gpus), ("gpu-memory", gpuMemory), ("gpu-model", gpuModel), ("min-gpu-memory", minGpuMemory),
            ("cpus", cpus), ("mem", mem), ("scratch", scratch), ("storage", storage), ("nodes", nodes),
            ("gpus-per-node", gpusPerNode), ("time", time), ("partition", partition), ("account", account),
            ("name", name), ("output", output), ("workdir", workdir), ("array", array), ("dependency", dependency),
            ("export", export),
        ]
        for (flag, value) in given {
            guard let value, let option = JobDirectives.raspored.first(where: { $0.long == flag }) else { continue }
            do { _ = try option.apply(&o, value) } catch { throw CLIError("--\(flag): \(error)") }
        }
        if exclusive { o.exclusive = true }
        if sameNuma { o.sameNuma = true }
        if noRequeue { o.noRequeue = true }
        return o
    }

    /// The submit body these arguments describe, with warnings and notes for stderr; the job's environment
    /// is taken from `environment` (the submitter's) as `--export` says.
    func submission(
        cwd: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> (SubmitRequest, [String]) {
        var (request, messages, export) = try described(cwd: cwd, environment: environment)
        let (variables, warnings): ([String: String], [String])
        do { (variables, warnings) = try export.environment(from: environment) } catch {
            throw CLIError("--export=\(export): \(error)")
        }
        // A job file's own `environment` is given explicitly: it wins over what --export captured.
        request.environment = variables.merging(request.environment) { _, file in file }
        if let why = JobEnvironmentRules.problem(environment: request.environment) {
            throw CLIError("the job's environment is too big: \(why)")
        }
        return (request, messages + warnings.map { "schedctl: warning: \($0)" })
    }

    /// The export in force: the --export flag, else Slurm's SBATCH_EXPORT, else a script's directive, else ALL
    /// (as sbatch ranks them: command line, environment, script).
    static func export(
        flag: JobExport?, script: JobExport?, environment: [String: String]
    ) throws -> JobExport {
        if let flag { return flag }
        if let text = environment["SBATCH_EXPORT"], !text.isEmpty {
            do { return try JobExport.parse(text) } catch { throw CLIError("SBATCH_EXPORT='\(text)': \(error)") }
        }
        return script ?? .all
    }

    /// The submit body without its environment, the messages, and the export in force.
    func described(
        cwd: String, environment: [String: String]
    ) throws -> (SubmitRequest, [String], JobExport) {
        let flags = try flagOptions()
        if let file {
            guard command.isEmpty else {
                throw CLIError("give the command in the job file or after --, not both (--file \(file))")
            }
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw CLIError("\(file): cannot read the job file")
            }
            do {
                let root = try ConfigNode.parse(text, file: file)
                guard root.isMapping else { throw root.error("expected a mapping of submit fields") }
                let fromFile = try SubmitRequest(config: root, defaultWorkdir: cwd)
                return (
                    flags.apply(to: fromFile, cwd: cwd), [],
                    try Self.export(flag: flags.export, script: nil, environment: environment)
                )
            } catch let e as CLIError {
                throw e
            } catch {
                throw CLIError("\(error)")
            }
        }
        guard let first = command.first else {
            throw CLIError(
                "nothing to run: give a batch script (schedctl submit train.sh), a command after -- "
                    + "(schedctl submit --gpus 1 -- python train.py), or --file job.yaml")
        }
        if first == "--" {
            let program = Array(command.dropFirst())
            guard let p = program.first, !p.isEmpty else { throw CLIError("no command after --") }
            return (
                flags.submitRequest(command: program, defaultWorkdir: cwd), [],
                try Self.export(flag: flags.export, script: nil, environment: environment)
            )
        }
        // The passthrough argument captures a --help that follows other options; answer it.
        if first == "--help" || first == "-h" { throw CleanExit.helpRequest(SubmitCommand.self) }
        if first.hasPrefix("-") {
            throw CLIError("unknown option '\(first)' (see schedctl submit --help)")
        }
        let path = absolutePath(first, from: cwd)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError(
                "no batch script '\(first)'; to run a program, put it after --: schedctl submit --gpus 1 -- \(command.joined(separator: " "))"
            )
        }
        let script: JobScript
        do {
            script = try JobScript.parse(
                String(decoding: data, as: UTF8.self), file: first, ignoreUnknown: ignoreUnknown)
        } catch {
            throw CLIError("\(error)")
        }
        var options = flags.over(script.options)
        if options.name == nil { options.name = URL(fileURLWithPath: path).lastPathComponent }
        let messages =
            script.warnings.map { "schedctl: warning: \($0)" } + script.notes.map { "schedctl: note: \($0)" }
        let request = options.submitRequest(
            command: script.command(path: path, arguments: Array(command.dropFirst())), defaultWorkdir: cwd)
        return (
            request, messages,
            try Self.export(flag: flags.export, script: script.options.export, environment: environment)
        )
    }

    func run() async throws {
        let (request, messages) = try submission(cwd: FileManager.default.currentDirectoryPath)
        for m in messages { printStderr(m) }
        let client = try connection.client()
        if dryRun {
            let reply = try await Self.dryRun(request, client: client)
            if json { try printJSON(reply) } else { print(Self.text(reply)) }
            return
        }
        let job: JobView = try await client.post("/v1/jobs", body: request)
        if json {
            try printJSON(job)
        } else if parsable {
            print(job.id)
        } else {
            print(Self.submitted(job))
        }
    }

    /// "Submitted job 42", and for an array "Submitted job 42 (array 42_[0-99%8], 100 tasks)".
    static func submitted(_ job: JobView) -> String {
        guard let a = job.arrayJobId, let spec = job.array, let n = job.arrayTaskCount else {
            return "Submitted job \(job.id)"
        }
        return "Submitted job \(a) (array \(a)_[\(spec)], \(n) task\(n == 1 ? "" : "s"))"
    }

    /// `POST /v1/jobs?dryRun=true`. A controller that predates dry runs ignores the query and submits the
    /// job: its answer is then a `JobView` (it has an `id`). That job is cancelled at once and the dry run
    /// reported as unsupported, rather than leaving a job nobody asked for.
    static func dryRun(_ request: SubmitRequest, client: ControllerClient) async throws -> DryRunReply {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let reply = try client.expectOK(
            try await client.send(.post, "/v1/jobs?dryRun=true", body: try encoder.encode(request)))
        if let job = try? JSONDecoder().decode(JobView.self, from: Data(reply.body)) {
            let cancelled = (try? await client.post("/v1/jobs/\(job.id)/cancel", as: JobView.self)) != nil
            throw ControllerError.badReply(
                "the controller at \(client.base) does not support --dry-run: it submitted job \(job.id) instead"
                    + (cancelled
                        ? ", which was cancelled" : "; cancel it with 'schedctl cancel \(job.id)'"))
        }
        return try client.decode(reply, as: DryRunReply.self)
    }

    static func text(_ reply: DryRunReply, now: Int64 = nowEpoch()) -> String {
        var out: [String] = []
        let limits =
            "partition \(reply.partition), account \(reply.account), time limit \(humanDuration(reply.timeLimit))"
        if let a = reply.allocation {
            out.append("Would run now (\(limits)):")
            out.append(AllocationText.table(a))
        } else {
            out.append("Would wait (\(limits)): \(reply.reason ?? "no reason given")")
            if let start = reply.estimatedStart {
                out.append("Estimated start: \(localTime(start)) (\(relative(start, now: now)))")
            } else {
                out.append("Estimated start: unknown")
            }
        }
        return out.joined(separator: "\n")
    }
}
