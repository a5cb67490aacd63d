import Scheduler

/// One option a directive line (or the command line) may carry.
struct DirectiveOption: Sendable {
    var long: String
    var short: Character?
    var takesValue: Bool
    /// Sets the option; returns a note for the user when the option is accepted but not used as written.
    var apply: @Sendable (inout JobOptions, String) throws -> String?

    init(
        _ long: String, _ short: Character? = nil, value: Bool = true,
        _ apply: @escaping @Sendable (inout JobOptions, String) throws -> String?
    ) {
        self.long = long
        self.short = short
        takesValue = value
        self.apply = apply
    }
}

/// The option sets: schedctl's own (`#RASPORED` lines and `schedctl submit` flags) and the Slurm options
/// `#SBATCH` lines may carry.
enum JobDirectives {
    /// schedctl's options, by the names `schedctl submit` takes.
    static let raspored: [DirectiveOption] = [
        DirectiveOption("gpus") { o, v in
            o.gpus = try OptionValue.count(v); return nil
        },
        DirectiveOption("gpu-memory") { o, v in
            o.gpuMemory = try OptionValue.size(v); return nil
        },
        DirectiveOption("gpu-model") { o, v in
            o.gpuModel = try OptionValue.text(v); return nil
        },
        DirectiveOption("min-gpu-memory") { o, v in
            o.minGpuMemory = try OptionValue.size(v); return nil
        },
        DirectiveOption("cpus") { o, v in
            o.cpus = try OptionValue.count(v); return nil
        },
        DirectiveOption("mem") { o, v in
            o.memory = try OptionValue.size(v); return nil
        },
        DirectiveOption("scratch") { o, v in
            o.scratch = try OptionValue.size(v); return nil
        },
        DirectiveOption("storage") { o, v in
            o.storage = try OptionValue.size(v); return nil
        },
        DirectiveOption("nodes") { o, v in
            o.nodes = try OptionValue.count(v, min: 1); return nil
        },
        DirectiveOption("gpus-per-node") { o, v in
            o.gpusPerNode = try OptionValue.count(v, min: 1); return nil
        },
        DirectiveOption("exclusive", value: false) { o, _ in
            o.exclusive = true; return nil
        },
        DirectiveOption("same-numa", value: false) { o, _ in
            o.sameNuma = true; return nil
        },
        DirectiveOption("time") { o, v in
            o.time = try OptionValue.time(v); return nil
        },
        DirectiveOption("partition") { o, v in
            o.partition = try OptionValue.text(v); return nil
        },
        DirectiveOption("account") { o, v in
            o.account = try OptionValue.text(v); return nil
        },
        DirectiveOption("name") { o, v in
            o.name = try OptionValue.text(v); return nil
        },
        DirectiveOption("output") { o, v in
            o.output = try OptionValue.text(v); return nil
        },
        DirectiveOption("workdir") { o, v in
            o.workdir = try OptionValue.text(v); return nil
        },
        DirectiveOption("no-requeue", value: false) { o, _ in
            o.noRequeue = true; return nil
        },
        DirectiveOption("array") { o, v in
            o.array = try OptionValue.array(v); return nil
        },
        DirectiveOption("dependency") { o, v in
            o.dependency = try OptionValue.dependency(v); return nil
        },
        DirectiveOption("export") { o, v in
            o.export = try OptionValue.export(v); return nil
        },
    ]

    /// The common Slurm options (docs/schedctl.md has the table).
    static let sbatch: [DirectiveOption] = [
        DirectiveOption("gres") { o, v in try gres(v, into: &o) },
        DirectiveOption("gpus", "G") { o, v in
            let (model, n) = try modelAndCount(v)
            o.gpus = n
            if let model { o.gpuModel = model }
            return nil
        },
        DirectiveOption("gpus-per-node") { o, v in
            let (model, n) = try modelAndCount(v, min: 1)
            o.gpusPerNode = n
            if let model { o.gpuModel = model }
            return nil
        },
        DirectiveOption("nodes", "N") { o, v in
            guard !v.contains("-") else {
                throw OptionValueError("node ranges ('\(v)') are not supported; give one count")
            }
            o.nodes = try OptionValue.count(v, min: 1)
            return nil
        },
        DirectiveOption("time", "t") { o, v in
            o.time = try OptionValue.time(v); return nil
        },
        DirectiveOption("mem") { o, v in
            if v.trimmingCharacters(in: .whitespaces) == "0" {
                return "--mem=0 (all of a node's memory) is not supported; ignored (use --exclusive for a whole node)"
            }
            o.memory = try OptionValue.size(v, bareUnit: "M")
            return nil
        },
        DirectiveOption("cpus-per-task", "c") { o, v in
            o.cpus = try OptionValue.count(v); return nil
        },
        DirectiveOption("job-name", "J") { o, v in
            o.name = try OptionValue.text(v); return nil
        },
        DirectiveOption("output", "o") { o, v in
            o.output = try OptionValue.text(v); return nil
        },
        DirectiveOption("partition", "p") { o, v in
            o.partition = try OptionValue.text(v); return nil
        },
        DirectiveOption("account", "A") { o, v in
            o.account = try OptionValue.text(v); return nil
        },
        DirectiveOption("chdir", "D") { o, v in
            o.workdir = try OptionValue.text(v); return nil
        },
        DirectiveOption("exclusive", value: false) { o, _ in
            o.exclusive = true; return nil
        },
        DirectiveOption("no-requeue", value: false) { o, _ in
            o.noRequeue = true; return nil
        },
        DirectiveOption("requeue", value: false) { o, _ in
            o.noRequeue = false; return nil
        },
        DirectiveOption("array", "a") { o, v in
            o.array = try OptionValue.array(v); return nil
        },
        DirectiveOption("dependency", "d") { o, v in
            o.dependency = try OptionValue.dependency(v); return nil
        },
        DirectiveOption("export") { o, v in
            o.export = try OptionValue.export(v); return nil
        },
        DirectiveOption("ntasks-per-node") { _, v in
            _ = try OptionValue.count(v, min: 1)
            return "--ntasks-per-node is ignored: Raspored starts the job's command once; the GPUs, cores and "
                + "memory asked for are the job's"
        },
    ]

    /// Slurm options that cannot change where or how a job runs (notification, accounting labels, the
    /// client's own verbosity), by long name and short letter: not understood, they are ignored with a
    /// warning; any other option not understood is refused (`JobScript`).
    static let sbatchHarmless: Set<String> = [
        "mail-type", "mail-user", "comment", "wckey", "acctg-freq", "profile", "verbose", "v", "quiet", "Q",
        "parsable",
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
                    o.gpuModel = try OptionValue.text(parts[1])
                    o.gpusPerNode = 1
                }
            case 3:
                o.gpuModel = try OptionValue.text(parts[1])
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
