/// The command line of `schedctl run`, `alloc`, `exec` and `attach`: options, then `--` and a command. The
/// step's own options (`--pty`, `--jobid N`, `--node NAME[,NAME…]`) are taken out; the rest go to `schedctl
/// submit`'s parser (run, alloc: what to allocate, and how to reach the controller) or the connection
/// options' (exec, attach), so those commands take exactly submit's options and none is defined twice.
struct StepArguments: Equatable {
    var pty = false
    var jobId: Int64?
    /// `--node`'s names (comma-separated, or the option given again).
    var nodes: [String]?
    /// Everything before `--` that is not a step option.
    var rest: [String] = []
    /// After `--`.
    var command: [String] = []
    /// `--help` or `-h` before `--`.
    var help = false

    /// With `positionalJob`, a first argument that is not an option is the job id (`schedctl exec 42 -- …`).
    /// Without `--` (as `srun hostname` is typed), the command starts at the first argument that is neither
    /// an option nor an option's value (every `--option` takes a value but for the flags `flags` names).
    init(_ arguments: [String], positionalJob: Bool = false) throws {
        var head = arguments
        if let dash = arguments.firstIndex(of: "--") {
            head = Array(arguments[..<dash])
            command = Array(arguments[(dash + 1)...])
        } else if let start = Self.commandStart(arguments, positionalJob: positionalJob) {
            head = Array(arguments[..<start])
            command = Array(arguments[start...])
        }
        var i = 0
        var named: [String] = []
        func add(_ list: String) { named += list.split(separator: ",").map(String.init) }
        defer { nodes = named.isEmpty ? nil : named }
        func value(_ option: String) throws -> String {
            i += 1
            guard i < head.count else { throw CLIError("\(option) needs a value") }
            return head[i]
        }
        while i < head.count {
            defer { i += 1 }
            let a = head[i]
            switch a {
            case "--pty": pty = true
            case "--help", "-h": help = true
            case "--jobid", "--job":
                let text = try value(a)
                guard let id = Int64(text), id > 0 else { throw CLIError("\(a): '\(text)' is not a job id") }
                jobId = id
            case "--node", "-w", "--nodelist": add(try value(a))
            default:
                if a.hasPrefix("--jobid=") || a.hasPrefix("--node=") {
                    let (name, text) = (String(a.prefix { $0 != "=" }), String(a.drop { $0 != "=" }.dropFirst()))
                    if name == "--node" {
                        add(text)
                    } else {
                        guard let id = Int64(text), id > 0 else { throw CLIError("\(name): '\(text)' is not a job id") }
                        jobId = id
                    }
                } else if positionalJob, i == 0, !a.hasPrefix("-") {
                    guard let id = Int64(a), id > 0 else { throw CLIError("'\(a)' is not a job id") }
                    jobId = id
                } else {
                    rest.append(a)
                }
            }
        }
    }

    /// `--nodelist` for the nodes named (`-w`, `--node`), for a job submitted to hold them; empty when none.
    var nodelistOption: [String] { nodes.map { ["--nodelist", $0.joined(separator: ",")] } ?? [] }

    /// Options that take no value: the step's, `schedctl submit`'s own and the connection's flags, and the
    /// job options that are flags (`--exclusive`, `-H`, …: `JobDirectives.options`).
    static let flags: Set<String> = {
        var names: Set<String> = [
            "--pty", "--help", "-h", "--allow-plain-http", "--ignore-unknown", "--dry-run", "--parsable", "--json",
        ]
        for o in JobDirectives.options where !o.takesValue {
            names.insert("--" + o.long)
            for a in o.aliases { names.insert("--" + a) }
            if let c = o.short { names.insert("-\(c)") }
        }
        return names
    }()

    static func commandStart(_ arguments: [String], positionalJob: Bool) -> Int? {
        var i = positionalJob && arguments.first.map({ !$0.hasPrefix("-") }) == true ? 1 : 0
        while i < arguments.count {
            let a = arguments[i]
            guard a.hasPrefix("-") else { return i }
            i += a.contains("=") || flags.contains(a) ? 1 : 2
        }
        return nil
    }
}
