import Scheduler

/// One option a directive line (or the command line) may carry.
struct DirectiveOption: Sendable {
    var long: String
    var short: Character?
    var takesValue: Bool
    /// Other long names it answers to (schedctl's own where Slurm's differs: `--name` for `--job-name`).
    var aliases: [String]
    /// What it does, for `schedctl submit --help` and docs/schedctl.md.
    var help: String
    /// Sets the option; returns a note for the user when the option is accepted but not used as written.
    var apply: @Sendable (inout JobOptions, String) throws -> String?

    init(
        _ long: String, _ short: Character? = nil, value: Bool = true, aliases: [String] = [], help: String,
        _ apply: @escaping @Sendable (inout JobOptions, String) throws -> String?
    ) {
        self.long = long
        self.short = short
        takesValue = value
        self.aliases = aliases
        self.help = help
        self.apply = apply
    }

    /// Whether `name` (a long name, or a one-letter short one) is this option.
    func answers(to name: String) -> Bool {
        long == name || aliases.contains(name) || (name.count == 1 && short == name.first)
    }
}

/// The options a job may be submitted with: one table for `schedctl submit`'s command line, `#RASPORED` lines
/// and `#SBATCH` lines, so each takes the same options with the same meaning. Slurm's names and short letters
/// (`-N`, `-t`, `-G`, `-D`…) with Slurm's value syntax, and schedctl's own names beside them.
/// docs/schedctl.md has the table.
enum JobDirectives {
    static let options: [DirectiveOption] = [
        DirectiveOption("gpus", "G", help: "GPUs in total: N, or MODEL:N.") { o, v in
            let (model, n) = try modelAndCount(v)
            o.gpus = n
            if let model { o.setCountModel(model) }
            return nil
        },
        DirectiveOption("gpus-per-node", help: "GPUs on each node: N, or MODEL:N.") { o, v in
            let (model, n) = try modelAndCount(v, min: 1)
            o.gpusPerNode = n
            if let model { o.setCountModel(model) }
            return nil
        },
        DirectiveOption("gres", help: "Generic resources per node; only gpu:N and gpu:MODEL:N are used.") { o, v in
            try gres(v, into: &o)
        },
        DirectiveOption(
            "gpu-memory", help: "GPU memory in total (instead of --gpus); the engine derives the GPU count."
        ) { o, v in
            o.gpuMemory = try OptionValue.size(v); return nil
        },
        DirectiveOption("gpu-model", help: "Only this GPU model.") { o, v in
            o.gpuModel = try OptionValue.text(v); return nil
        },
        DirectiveOption("min-gpu-memory", help: "Only GPUs with at least this much memory each.") { o, v in
            o.minGpuMemory = try OptionValue.size(v); return nil
        },
        DirectiveOption("cpus", help: "Physical CPU cores per node (default: the partition's per GPU).") { o, v in
            o.cpus = try OptionValue.count(v); return nil
        },
        DirectiveOption("cpus-per-task", "c", help: "Physical CPU cores per task: times the tasks on each node.") {
            o, v in
            o.cpusPerTask = try OptionValue.count(v, min: 1); return nil
        },
        DirectiveOption("gpus-per-task", help: "GPUs per task: times the tasks (--ntasks) in all.") { o, v in
            let (model, n) = try modelAndCount(v, min: 1)
            o.gpusPerTask = n
            if let model { o.setCountModel(model) }
            return nil
        },
        DirectiveOption(
            "mem", help: "Host memory per node (a bare number is MiB, as Slurm's; default: the partition's per GPU)."
        ) { o, v in
            if v.trimmingCharacters(in: .whitespaces) == "0" {
                return "--mem=0 (all of a node's memory) is not supported; ignored (use --exclusive for a whole node)"
            }
            o.memory = try OptionValue.size(v, bareUnit: "M")
            return nil
        },
        DirectiveOption("mem-per-gpu", help: "Host memory per GPU (a bare number is MiB), instead of --mem.") { o, v in
            o.memoryPerGPU = try OptionValue.size(v, bareUnit: "M"); return nil
        },
        DirectiveOption("scratch", help: "Node-local scratch per node.") { o, v in
            o.scratch = try OptionValue.size(v); return nil
        },
        DirectiveOption("storage", help: "Shared storage.") { o, v in
            o.storage = try OptionValue.size(v); return nil
        },
        DirectiveOption("nodes", "N", help: "Nodes (one count; N-M ranges are refused).") { o, v in
            guard !v.contains("-") else {
                throw OptionValueError("node ranges ('\(v)') are not supported; give one count")
            }
            o.nodes = try OptionValue.count(v, min: 1)
            return nil
        },
        DirectiveOption("ntasks", "n", help: "Tasks in all (with --gpus-per-task and --cpus-per-task).") { o, v in
            o.ntasks = try OptionValue.count(v, min: 1)
            return nil
        },
        DirectiveOption("ntasks-per-node", help: "Tasks on each node (as --ntasks).") { o, v in
            o.ntasksPerNode = try OptionValue.count(v, min: 1)
            return nil
        },
        DirectiveOption(
            "nodelist", "w", help: "Run on exactly these nodes: dgx03, dgx[01-02] (-N defaults to their count)."
        ) { o, v in
            o.nodelist = try OptionValue.text(v); return nil
        },
        DirectiveOption("exclude", "x", help: "Never run on these nodes: dgx03, dgx[05-06].") { o, v in
            o.exclude = try OptionValue.text(v); return nil
        },
        DirectiveOption(
            "constraint", "C", help: "Only nodes with these features (cluster.yaml): nvlink, a&b, a|b."
        ) { o, v in
            o.constraint = try OptionValue.text(v); return nil
        },
        DirectiveOption("exclusive", value: false, help: "The whole node(s), nothing shared.") { o, _ in
            o.exclusive = true; return nil
        },
        DirectiveOption("same-numa", value: false, help: "Refuse, rather than span NUMA domains.") { o, _ in
            o.sameNuma = true; return nil
        },
        DirectiveOption("time", "t", help: "Time limit (default: the partition's).") { o, v in
            o.time = try OptionValue.time(v); return nil
        },
        DirectiveOption("partition", "p", help: "Partition (default: the cluster's default).") { o, v in
            o.partition = try OptionValue.text(v); return nil
        },
        DirectiveOption("account", "A", help: "Account to charge.") { o, v in
            o.account = try OptionValue.text(v); return nil
        },
        DirectiveOption(
            "job-name", "J", aliases: ["name"], help: "Job name (default: the script's or program's name)."
        ) { o, v in
            o.name = try OptionValue.text(v); return nil
        },
        DirectiveOption(
            "output", "o", help: "Output file: %j job id, %x name, %N node, %A array, %a task (default: the agent's)."
        ) { o, v in
            o.output = try OptionValue.text(v); return nil
        },
        DirectiveOption("error", "e", help: "A separate file for stderr (the same patterns as --output).") { o, v in
            o.error = try OptionValue.text(v); return nil
        },
        DirectiveOption("open-mode", help: "truncate (the default) or append to the output files.") { o, v in
            let t = v.trimmingCharacters(in: .whitespaces).lowercased()
            guard let mode = OpenMode(rawValue: t) else {
                throw OptionValueError("expected truncate or append, not '\(v)'")
            }
            o.openMode = mode
            return nil
        },
        DirectiveOption(
            "chdir", "D", aliases: ["workdir"], help: "Working directory on the node (default: the current one)."
        ) { o, v in
            o.workdir = try OptionValue.text(v); return nil
        },
        DirectiveOption("no-requeue", value: false, help: "Fail rather than requeue when the job's node is lost.") {
            o, _ in
            o.noRequeue = true; return nil
        },
        DirectiveOption("requeue", value: false, help: "Requeue when the job's node is lost (the default).") { o, _ in
            o.noRequeue = false; return nil
        },
        DirectiveOption(
            "array", "a", help: "A job array: 0-99, 1,3,5-7, 0-15:4; %N caps running tasks (0-99%8)."
        ) { o, v in
            o.array = try OptionValue.array(v); return nil
        },
        DirectiveOption(
            "dependency", "d",
            help:
                "Start only after other jobs: afterok:ID[:ID], afterany, afternotok, after, singleton; ',' all, '?' any."
        ) { o, v in
            o.dependency = try OptionValue.dependency(v); return nil
        },
        DirectiveOption(
            "export",
            help: "Your environment variables the job gets: ALL (the default), NONE, or VAR,VAR=value (ALL,VAR=value)."
        ) { o, v in
            o.export = try OptionValue.export(v); return nil
        },
        DirectiveOption("hold", "H", value: false, help: "Submit held: it waits until schedctl release.") { o, _ in
            o.hold = true; return nil
        },
        DirectiveOption(
            "begin", "b", help: "Start no earlier than: now+1hour, +2h, 16:00, tomorrow, 2026-12-24T08:00."
        ) { o, v in
            o.begin = try BeginTime.parse(v); return nil
        },
        DirectiveOption("nice", help: "Lower the job's priority by this much (admins may give a negative value).") {
            o, v in
            guard let n = Int(v.trimmingCharacters(in: .whitespaces)) else {
                throw OptionValueError("expected a whole number, not '\(v)'")
            }
            o.nice = n
            return nil
        },
        DirectiveOption(
            "signal",
            help: "[B:]SIG[@SECONDS]: send SIG this long (default 60 s) before the time limit; B: the script only."
        ) { o, v in
            do throws(SignalNameError) { o.warning = try WarningSignal(parsing: v) } catch {
                throw OptionValueError(error.description)
            }
            return nil
        },
        DirectiveOption(
            "kill-grace", help: "Time between SIGTERM and SIGKILL when stopped (at most the partition's maxKillGrace)."
        ) { o, v in
            guard let t = TimeSpan(parsing: v), t.seconds >= 0, t.seconds <= Int64(JobControls.maxSeconds) else {
                throw OptionValueError("expected a time such as 30s, 2m or 00:05:00, not '\(v)'")
            }
            o.killGrace = Int(t.seconds)
            return nil
        },
    ]

    /// The options as `schedctl submit --help` lists them: the names, then the help below them in lines of
    /// at most 78 characters (ArgumentParser wraps longer ones without their indent).
    static var helpText: String {
        options.map { o in
            let names = (o.short.map { "-\($0), " } ?? "") + "--\(o.long)" + o.aliases.map { ", --\($0)" }.joined()
            var lines = ["  " + (o.takesValue ? names + " <value>" : names)]
            var line = "       "
            for word in o.help.split(separator: " ") {
                if line.count + word.count + 1 > 78 {
                    lines.append(line)
                    line = "       "
                }
                line += " " + word
            }
            lines.append(line)
            return lines.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// The options `#RASPORED` lines take: all of them.
    static var raspored: [DirectiveOption] { options }
    /// The options `#SBATCH` lines take: all of them.
    static var sbatch: [DirectiveOption] { options }

    /// Slurm options that cannot change where or how a job runs (notification, accounting labels, the
    /// client's own verbosity), by long name and short letter: not understood, they are ignored with a
    /// warning; any other option not understood is refused (`JobScript`).
    static let sbatchHarmless: Set<String> = [
        "mail-type", "mail-user", "comment", "wckey", "acctg-freq", "profile", "verbose", "v", "quiet", "Q",
        "parsable", "wait-all-nodes", "ntasks-per-core",
    ]

    /// Whether an option not understood (its long name, or its short letter) may be ignored.
    static func isHarmless(_ name: String) -> Bool { sbatchHarmless.contains(name) }

    /// `gpu:N`, `gpu:MODEL:N`, `gpu`, `gpu:MODEL`, in a comma list with other resources (noted, ignored).
    /// Slurm's --gres counts per node.
    static func gres(_ v: String, into o: inout JobOptions) throws -> String? {
        var ignored: [String] = []
        var sawGPU = false
        for item in v.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts[0] == "gpu" else {
                ignored.append(item)
                continue
            }
            sawGPU = true
            switch parts.count {
            case 1: o.gpusPerNode = 1
            case 2:
                if let n = Int(parts[1]) {
                    guard n >= 1 else { throw OptionValueError("a GPU count must be at least 1, not \(n)") }
                    o.gpusPerNode = n
                } else {
                    o.setCountModel(try OptionValue.text(parts[1]))
                    o.gpusPerNode = 1
                }
            case 3:
                o.setCountModel(try OptionValue.text(parts[1]))
                o.gpusPerNode = try OptionValue.count(parts[2], min: 1)
            default: throw OptionValueError("expected gpu:N or gpu:MODEL:N, not '\(item)'")
            }
        }
        if !sawGPU && ignored.isEmpty { throw OptionValueError("expected gpu:N or gpu:MODEL:N, not '\(v)'") }
        return ignored.isEmpty
            ? nil : "--gres \(ignored.joined(separator: ",")) ignored: only GPUs are generic resources here"
    }

    /// `N` or `MODEL:N`.
    static func modelAndCount(_ v: String, min: Int = 0) throws -> (String?, Int) {
        let parts = v.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: return (nil, try OptionValue.count(parts[0], min: min))
        case 2: return (try OptionValue.text(parts[0]), try OptionValue.count(parts[1], min: min))
        default: throw OptionValueError("expected N or MODEL:N, not '\(v)'")
        }
    }
}
