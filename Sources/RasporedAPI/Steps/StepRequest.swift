import Scheduler

/// What a client asks for when it opens a step (the first frame of `GET /v1/jobs/{id}/steps/stream`): a
/// command to run inside the job's allocation as `tasksPerNode` tasks on each of its nodes (or those named),
/// with a pseudo-terminal (one task on one node) or with pipes.
public struct StepRequest: Hashable, Sendable, Codable {
    /// argv; the first element is looked up in the job's PATH.
    public var command: [String]
    /// A pseudo-terminal (`--pty`): stdin, stdout and stderr are one terminal, the step is its session leader.
    public var pty: Bool
    /// The terminal's size for a pty step; nil leaves the kernel's default (0 × 0).
    public var rows: UInt16?
    public var cols: UInt16?
    /// `TERM` for a pty step (the client's own), so full-screen programs draw correctly.
    public var term: String?
    /// Which of the job's nodes, once each; nil for all of them (the first alone for a pty step).
    public var nodes: [String]?
    /// Processes on each node (`srun --ntasks-per-node`); nil for one. Bounded as a job's (`TaskLayout`).
    public var tasksPerNode: Int?
    /// Each task's own GPUs (`--gpus-per-task`); nil: every task sees all of the job's GPUs on its node.
    public var gpusPerTask: Int?
    /// Each task's own cores (`--cpus-per-task`); nil: the node's cores split evenly among its tasks.
    public var coresPerTask: Int?
    /// The environment `srun` ran in, which its tasks get as Slurm's do (with this node's scheduler
    /// variables over it: `JobEnvironment.stepEnvironment`); nil: the run's own environment.
    public var environment: [String: String]?

    public init(
        command: [String], pty: Bool = false, rows: UInt16? = nil, cols: UInt16? = nil, term: String? = nil,
        nodes: [String]? = nil, tasksPerNode: Int? = nil, gpusPerTask: Int? = nil, coresPerTask: Int? = nil,
        environment: [String: String]? = nil
    ) {
        self.command = command
        self.pty = pty
        self.rows = rows
        self.cols = cols
        self.term = term
        self.nodes = nodes
        self.tasksPerNode = tasksPerNode
        self.gpusPerTask = gpusPerTask
        self.coresPerTask = coresPerTask
        self.environment = environment
    }

    /// At most this many arguments, and this many bytes in all (the command, TERM and the environment).
    public static let maxArguments = 1024
    public static let maxBytes = 128 * 1024

    /// Why the controller refuses it, or nil.
    public var problem: String? {
        guard let first = command.first, !first.isEmpty else { return "a step needs a command" }
        guard command.count <= Self.maxArguments else {
            return "a step's command has at most \(Self.maxArguments) arguments, not \(command.count)"
        }
        let environmentBytes = environment?.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 2 } ?? 0
        let bytes = command.reduce(0) { $0 + $1.utf8.count + 1 } + (term?.utf8.count ?? 0) + environmentBytes
        guard bytes <= Self.maxBytes else {
            return "a step's command and environment are at most \(Self.maxBytes) bytes, not \(bytes) "
                + "(the environment is \(environmentBytes))"
        }
        for (name, value) in environment ?? [:] {
            if let why = JobEnvironmentRules.problem(name: name)
                ?? JobEnvironmentRules.problem(name: name, value: value)
            {
                return why
            }
        }
        if let count = environment?.count, count > JobEnvironmentRules.maxVariables {
            return "\(count) variables; a step's environment takes at most \(JobEnvironmentRules.maxVariables)"
        }
        if command.contains(where: { $0.utf8.contains(0) }) || term?.utf8.contains(0) == true {
            return "a step's command cannot contain NUL bytes"
        }
        if let term, term.utf8.count > 256 { return "TERM is at most 256 bytes" }
        if let why = layout.problem { return why }
        if pty && (tasksPerNode ?? 1) > 1 { return "a pty step runs one task, not \(tasksPerNode ?? 1) per node" }
        if let nodes {
            if nodes.isEmpty { return "a step runs on at least one node" }
            if Set(nodes).count != nodes.count { return "a step runs once on each node it names" }
            if pty && nodes.count > 1 { return "a pty step runs on one node, not \(nodes.count)" }
        }
        return nil
    }
}

/// The controller's answer once a step is set up: its id (`42.0` is step 0 of job 42) and nodes.
public struct StepStarted: Hashable, Sendable, Codable {
    public var jobId: Int64
    public var step: Int
    public var nodes: [String]

    public init(jobId: Int64, step: Int, nodes: [String]) {
        self.jobId = jobId
        self.step = step
        self.nodes = nodes
    }
}

/// How a step ended: its exit code, or the signal that ended it, or why it never ran (`reason`, exit code
/// 127 when the command could not be started).
public struct StepExit: Hashable, Sendable, Codable {
    public var exitCode: Int32?
    public var signal: Int32?
    public var reason: String?

    public init(exitCode: Int32? = nil, signal: Int32? = nil, reason: String? = nil) {
        self.exitCode = exitCode
        self.signal = signal
        self.reason = reason
    }

    /// What a shell would say: the exit code, or 128 + the signal.
    public var status: Int32 { exitCode ?? signal.map { 128 + $0 } ?? 1 }
}
