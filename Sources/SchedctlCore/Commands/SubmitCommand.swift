import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// `schedctl submit`: a command after `--`, a batch script with `#RASPORED`/`#SBATCH` lines, or a job file.
///
/// The job's options are not ArgumentParser options: they are `JobDirectives.options`, the one table that
/// `#SBATCH` and `#RASPORED` lines are read with too, so the command line takes exactly what a script takes,
/// Slurm's short letters included. ArgumentParser parses schedctl's own flags (the connection, `--file`,
/// `--dry-run`, …) and hands everything from the first word it does not know to `command`; `commandLine()`
/// reads the job options at its front and gives the rest back to ArgumentParser, until the script or `--`.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a job: a command after --, a batch script, or a job file.",
        usage:
            "schedctl submit [<job options>] [<options>] (<script> [<arguments>...] | -- <command>... | --file <file>)",
        discussion: """
            schedctl submit --gpus 4 --time 4h --account ivi -- python train.py
            schedctl submit -N 2 --gpus-per-node 8 -t 1-00:00 train.sh [ARGS...]   (#RASPORED and #SBATCH lines at its top)
            schedctl submit --file job.yaml         (the API's submit body as YAML or JSON)
            schedctl submit --array 0-99%8 --dependency afterok:41 train.sh   (tasks 42_0…42_99, at most 8 at once)
            Job options come before the script or --; they override a script's directives and a job file's \
            fields, and are the same options #SBATCH and #RASPORED lines take. Sizes take a unit (256GiB, 64G, \
            2TB; --mem and --mem-per-gpu read a bare number as MiB); times are minutes, MM:SS, HH:MM:SS, D-HH, \
            D-HH:MM:SS or 90s, 30m, 4h, 2d.

            JOB OPTIONS:
            \(JobDirectives.helpText)
            """)

    @OptionGroup var connection: ConnectionOptions

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
        help: ArgumentHelp(
            "Job options, then a batch script and its arguments, or -- and a command.",
            valueName: "job options] [script|-- command"))
    var command: [String] = []

    /// The job options at the front of `command`, and this command with them taken out: schedctl's own flags
    /// among them parsed, and `command` starting at the script, `--`, or a help request.
    func commandLine() throws -> (options: JobOptions, notes: [String], command: SubmitCommand) {
        var options = JobOptions()
        var notes: [String] = []
        var me = self
        var i = 0
        while i < me.command.count {
            let word = me.command[i]
            guard word.hasPrefix("-"), word.count > 1, word != "--", word != "-h", word != "--help" else { break }
            // schedctl's own flag among the job options: ArgumentParser reads on from it (once per such flag,
            // not once per job option). One it does not take either stays first, for the table's error.
            if OptionReader.option(named: word, in: JobDirectives.options) == nil {
                let again = try Self.parse(Array(me.command[i...]))
                if again.command.count < me.command.count - i {
                    me.absorb(again)
                    i = 0
                    continue
                }
            }
            var reader = OptionReader(table: JobDirectives.options, strict: true, at: .commandLine)
            do { i = try reader.read(me.command, from: i, into: &options) } catch { throw CLIError("\(error)") }
            notes += reader.notes.map { "schedctl: note: \($0)" }
        }
        me.command = Array(me.command[i...])
        return (options, notes, me)
    }

    /// Takes `other`'s flags that are set (parsed from words after a job option) and its `command`.
    private mutating func absorb(_ other: SubmitCommand) {
        connection.controller = other.connection.controller ?? connection.controller
        connection.token = other.connection.token ?? connection.token
        connection.caFile = other.connection.caFile ?? connection.caFile
        connection.allowPlainHTTP = connection.allowPlainHTTP || other.connection.allowPlainHTTP
        file = other.file ?? file
        dryRun = dryRun || other.dryRun
        ignoreUnknown = ignoreUnknown || other.ignoreUnknown
        parsable = parsable || other.parsable
        json = json || other.json
        command = other.command
    }

    /// The submit body these arguments describe, with warnings and notes for stderr; the job's environment
    /// is taken from `environment` (the submitter's) as `--export` says.
    func submission(
        cwd: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> (SubmitRequest, [String]) {
        let (flags, notes, me) = try commandLine()
        let (request, messages) = try me.submission(flags: flags, cwd: cwd, environment: environment)
        return (request, notes + messages)
    }

    private func submission(
        flags: JobOptions, cwd: String, environment: [String: String]
    ) throws -> (SubmitRequest, [String]) {
        var (request, messages, export) = try described(flags: flags, cwd: cwd, environment: environment)
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
        flags: JobOptions, cwd: String, environment: [String: String]
    ) throws -> (SubmitRequest, [String], JobExport) {
        if let file {
            if let why = flags.problem { throw CLIError(why) }
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
            if let why = flags.problem { throw CLIError(why) }
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
        if let why = options.problem { throw CLIError(why) }
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
        let (flags, notes, me) = try commandLine()
        let (request, messages) = try me.submission(
            flags: flags, cwd: FileManager.default.currentDirectoryPath,
            environment: ProcessInfo.processInfo.environment)
        for m in notes + messages { printStderr(m) }
        let client = try me.connection.client()
        if me.dryRun {
            let reply = try await Self.dryRun(request, client: client)
            if me.json { try printJSON(reply) } else { print(Self.text(reply)) }
            return
        }
        if me.json {
            let job: JobView = try await client.post("/v1/jobs", body: request)
            try printJSON(job)
            return
        }
        let job: SubmittedJob = try await client.post("/v1/jobs", body: request)
        print(me.parsable ? "\(job.id)" : Self.submitted(job))
    }

    /// What `submit` prints of the controller's `JobView`: decoding these fields alone, rather than the
    /// whole view, spares each submission the runtime work of the view's nested types.
    struct SubmittedJob: Decodable {
        var id: Int64
        var arrayJobId: Int64?
        var array: String?
        var arrayTaskCount: Int?
    }

    /// "Submitted job 42", and for an array "Submitted job 42 (array 42_[0-99%8], 100 tasks)".
    static func submitted(_ job: SubmittedJob) -> String {
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
