import Foundation
import Scheduler

/// The body of `POST /v1/jobs`: the engine's request fields (docs/placement.md) and the job's own.
///
/// On the wire it is one flat JSON object: `{"gpus": 4, "memory": "256GiB", "time": "4h", "account":
/// "ivi", "name": "train", "command": ["python", "train.py"], "workdir": "/home/ana"}`. Sizes are
/// text ("256GiB") or bytes; `time` is text ("4h", "2-00:00:00") or, as Slurm reads it, minutes.
/// The owner is never in the body: it is the token's user.
public struct SubmitRequest: Hashable, Sendable, Encodable {
    /// What the job asks for, including `partition`, `account` and `time`.
    public var request: ResourceRequest
    /// A name for people; default: the command's program name.
    public var name: String?
    /// The program and its arguments; not empty.
    public var command: [String]
    /// Working directory on the node, an absolute path.
    public var workdir: String
    /// Output file template (the agent expands `%j` and friends); nil for the default.
    public var output: String?
    /// Fail, rather than requeue, when the job's node is lost.
    public var noRequeue: Bool
    /// Submit a job array: one job per task index (`0-99%8`); nil for one job.
    public var array: ArraySpec?
    /// What the job (every task, for an array) waits for besides resources (`afterok:12`); nil for nothing.
    public var dependency: JobDependency?
    /// The job's environment as the submitter's client captured it (`schedctl submit --export`), name to
    /// value; the scheduler's variables go on top. Within `JobEnvironmentRules`.
    public var environment: [String: String]
    /// The job's controls (`JobControls`) but its begin time, which is `begin` here: held (`hold: true` on
    /// the wire), nice, the warning signal, kill grace, stderr file, open mode and submit directory.
    public var controls: JobControls
    /// The earliest start: now, a time from now, or a moment (`ReservationTime`; a moment without a zone is
    /// UTC); the controller turns it into `JobControls.begin`. nil for as soon as possible.
    public var begin: ReservationTime?

    public init(
        request: ResourceRequest, name: String? = nil, command: [String], workdir: String, output: String? = nil,
        noRequeue: Bool = false, array: ArraySpec? = nil, dependency: JobDependency? = nil,
        environment: [String: String] = [:], controls: JobControls = JobControls(), begin: ReservationTime? = nil
    ) {
        self.request = request
        self.name = name
        self.command = command
        self.workdir = workdir
        self.output = output
        self.noRequeue = noRequeue
        self.array = array
        self.dependency = dependency
        self.environment = environment
        self.controls = controls
        self.begin = begin
    }

    /// The job's own fields, beside the request's.
    public static let jobFieldNames: Set<String> = [
        "name", "command", "workdir", "output", "noRequeue", "array", "dependency", "environment", "hold", "begin",
        "nice", "signal", "killGrace", "error", "openMode", "submitDir", "ntasksPerNode", "ntasks", "coresPerTask",
        "gpusPerTask",
    ]

    /// Reads a submission from a parsed JSON (or YAML) mapping; errors name the field and line.
    /// `defaultWorkdir` stands in for an absent `workdir` (schedctl's job files default to the current
    /// directory); the API gives none, so there `workdir` is required.
    public init(config n: ConfigNode, defaultWorkdir: String? = nil) throws(ConfigError) {
        request = try ResourceRequest(config: n, extraKeys: Self.jobFieldNames)
        name = try n.optional("name")?.label(maxLength: Self.maxNameLength)
        let commandNode = try n.required("command")
        let elements = try commandNode.elements()
        guard elements.count <= Self.maxArguments else {
            throw commandNode.error("at most \(Self.maxArguments) arguments, not \(elements.count)")
        }
        command = try elements.map { (e) throws(ConfigError) in try Self.osText(e) }
        if command.isEmpty || command[0].isEmpty {
            throw commandNode.error("the command must name a program: [\"python\", \"train.py\"]")
        }
        if let defaultWorkdir, try n.optional("workdir") == nil {
            workdir = defaultWorkdir
        } else {
            let workdirNode = try n.required("workdir")
            workdir = try Self.osText(workdirNode)
            if !workdir.hasPrefix("/") {
                throw workdirNode.error("workdir must be an absolute path, not '\(TerminalText.escaped(workdir))'")
            }
        }
        output = try n.optional("output").map { (o) throws(ConfigError) in try Self.osText(o) }
        noRequeue = try n.optional("noRequeue")?.bool() ?? false
        if let a = try n.optional("array") {
            let text = try a.string()
            do throws(ArraySpecError) { array = try ArraySpec(parsing: text) } catch {
                throw a.error(error.description)
            }
        }
        if let d = try n.optional("dependency") {
            let text = try d.string()
            do throws(JobDependencyError) { dependency = try JobDependency(parsing: text) } catch {
                throw d.error(error.description)
            }
        }
        environment = try n.optional("environment").map(Self.environment) ?? [:]
        controls = try Self.controls(n)
        begin = try n.optional("begin").map { (b) throws(ConfigError) in
            try ReservationTime.read(b, furthest: ReservationRequest.longest)
        }
    }

    /// The controls in `n`'s fields (all optional).
    static func controls(_ n: ConfigNode) throws(ConfigError) -> JobControls {
        var c = JobControls()
        if try n.optional("hold")?.bool() == true { c.hold = .user }
        if let v = try n.optional("nice") {
            let nice = try v.int()
            guard JobControls.niceRange.contains(nice) else {
                throw v.error(
                    "nice must be from \(JobControls.niceRange.lowerBound) to \(JobControls.niceRange.upperBound)")
            }
            c.nice = nice
        }
        if let v = try n.optional("signal") {
            let text = try v.string()
            do throws(SignalNameError) { c.warning = try WarningSignal(parsing: text) } catch {
                throw v.error(error.description)
            }
        }
        if let v = try n.optional("killGrace") {
            let span = try v.timeSpan()
            guard (0...Int64(JobControls.maxSeconds)).contains(span.seconds) else {
                throw v.error("killGrace must be from 0 to \(JobControls.maxSeconds / 86_400) days")
            }
            c.killGrace = Int(span.seconds)
        }
        c.error = try n.optional("error").map { (o) throws(ConfigError) in try Self.osText(o) }
        if let v = try n.optional("openMode") {
            let text = try v.string()
            guard let mode = OpenMode(rawValue: text) else {
                throw v.error("openMode is truncate or append, not '\(TerminalText.escaped(text))'")
            }
            c.openMode = mode
        }
        if let v = try n.optional("submitDir") {
            let dir = try Self.osText(v)
            guard dir.hasPrefix("/") else {
                throw v.error("submitDir must be an absolute path, not '\(TerminalText.escaped(dir))'")
            }
            // It becomes the job's SLURM_SUBMIT_DIR, after the environment's own bounds were checked.
            guard dir.utf8.count <= Self.maxPathBytes else {
                throw v.error("submitDir is at most \(Self.maxPathBytes) bytes (PATH_MAX)")
            }
            c.submitDir = dir
        }
        let perNode = try n.optional("ntasksPerNode"), total = try n.optional("ntasks")
        let cores = try n.optional("coresPerTask"), gpus = try n.optional("gpusPerTask")
        if let first = perNode ?? total ?? cores ?? gpus {
            if perNode != nil, total != nil { throw total!.error("give ntasksPerNode or ntasks, not both") }
            let layout = TaskLayout(
                perNode: try perNode?.int() ?? (total == nil ? 1 : nil), total: try total?.int(),
                coresPerTask: try cores?.int(), gpusPerTask: try gpus?.int())
            if let why = layout.problem { throw first.error(why) }
            c.tasks = layout
        }
        return c
    }

    /// The longest path a submission may name as its submit directory, in bytes (Linux's PATH_MAX).
    public static let maxPathBytes = 4096
    /// The longest job name, in characters.
    public static let maxNameLength = 256
    /// The most arguments a command may have (its program included).
    public static let maxArguments = 65_536

    /// Text handed to the operating system (an argument, a path): anything but a NUL, which would end it.
    static func osText(_ n: ConfigNode) throws(ConfigError) -> String {
        let s = try n.string()
        if let why = TerminalText.nulProblem(s) { throw n.error(why) }
        return s
    }

    /// A mapping of variable names to text values, within `JobEnvironmentRules`.
    static func environment(_ n: ConfigNode) throws(ConfigError) -> [String: String] {
        guard n.isMapping else {
            throw n.error("expected an object of variables and their values: {\"LANG\": \"C.UTF-8\"}")
        }
        var out: [String: String] = [:]
        for (name, v) in try n.entries() {
            // At the variable's line, under the field's path: the name may be what is wrong.
            func error(_ message: String) -> ConfigError {
                ConfigError(file: v.file, line: v.line, path: n.path, message: message)
            }
            if let why = JobEnvironmentRules.problem(name: name) { throw error(why) }
            if v.isNull { throw error("\(name): a value must be text (\"\" for an empty one), not null") }
            guard !v.isMapping && !v.isSequence else { throw error("\(name): a value must be text") }
            let value = try v.string()
            if let why = JobEnvironmentRules.problem(name: name, value: value) { throw error(why) }
            out[name] = value  // the reader refuses a key given twice
        }
        if let why = JobEnvironmentRules.problem(environment: out) { throw n.error(why) }
        return out
    }

    /// Parses a request body; malformed JSON and wrong fields are `ConfigError`s with line and field.
    public static func parse(json text: String) throws(ConfigError) -> SubmitRequest {
        try SubmitRequest(config: try ConfigNode.parseJSONObject(text))
    }

    enum Keys: String, CodingKey {
        case gpus, gpuMemory, gpuModel, minGpuMemory, cpus, memory, scratch, storage, nodes, gpusPerNode
        case exclusive, sameNuma, partition, account, time, name, command, workdir, output, noRequeue, array
        case dependency, environment, hold, begin, nice, signal, killGrace, error, openMode, submitDir, nodelist
        case exclude, constraint, ntasksPerNode, ntasks, coresPerTask, gpusPerTask
    }

    /// Flat, as `parse(json:)` reads it; `time` as text, since a bare number would be read as minutes.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        let r = request
        try c.encodeIfPresent(r.gpus, forKey: .gpus)
        try c.encodeIfPresent(r.gpuMemory, forKey: .gpuMemory)
        try c.encodeIfPresent(r.gpuModel, forKey: .gpuModel)
        try c.encodeIfPresent(r.minGpuMemory, forKey: .minGpuMemory)
        try c.encodeIfPresent(r.cpus, forKey: .cpus)
        try c.encodeIfPresent(r.memory, forKey: .memory)
        try c.encodeIfPresent(r.scratch, forKey: .scratch)
        try c.encodeIfPresent(r.storage, forKey: .storage)
        try c.encodeIfPresent(r.nodes, forKey: .nodes)
        try c.encodeIfPresent(r.gpusPerNode, forKey: .gpusPerNode)
        if r.exclusive { try c.encode(true, forKey: .exclusive) }
        if r.sameNuma { try c.encode(true, forKey: .sameNuma) }
        try c.encodeIfPresent(r.partition, forKey: .partition)
        try c.encodeIfPresent(r.account, forKey: .account)
        try c.encodeIfPresent(r.time.map { "\($0.seconds)s" }, forKey: .time)
        try c.encodeIfPresent(r.nodelist, forKey: .nodelist)
        try c.encodeIfPresent(r.exclude, forKey: .exclude)
        try c.encodeIfPresent(r.constraint, forKey: .constraint)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encode(command, forKey: .command)
        try c.encode(workdir, forKey: .workdir)
        try c.encodeIfPresent(output, forKey: .output)
        if noRequeue { try c.encode(true, forKey: .noRequeue) }
        try c.encodeIfPresent(array?.description, forKey: .array)
        try c.encodeIfPresent(dependency?.description, forKey: .dependency)
        if !environment.isEmpty { try c.encode(environment, forKey: .environment) }
        if controls.hold != nil { try c.encode(true, forKey: .hold) }
        try c.encodeIfPresent(begin?.description, forKey: .begin)
        if controls.nice != 0 { try c.encode(controls.nice, forKey: .nice) }
        try c.encodeIfPresent(controls.warning?.description, forKey: .signal)
        try c.encodeIfPresent(controls.killGrace.map { "\($0)s" }, forKey: .killGrace)
        try c.encodeIfPresent(controls.error, forKey: .error)
        if controls.openMode != .truncate { try c.encode(controls.openMode.rawValue, forKey: .openMode) }
        try c.encodeIfPresent(controls.submitDir, forKey: .submitDir)
        try c.encodeIfPresent(controls.tasks?.perNode, forKey: .ntasksPerNode)
        try c.encodeIfPresent(controls.tasks?.total, forKey: .ntasks)
        try c.encodeIfPresent(controls.tasks?.coresPerTask, forKey: .coresPerTask)
        try c.encodeIfPresent(controls.tasks?.gpusPerTask, forKey: .gpusPerTask)
    }
}
