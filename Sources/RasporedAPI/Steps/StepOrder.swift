/// A step to start on this node (`AgentOrders.steps`), one of the step's `nodes`: the agent dials back
/// `GET /v1/agents/{node}/steps/{jobId}/{step}/stream` (a WebSocket, with its own token) and runs `command`
/// inside the run `runId`'s allocation: its cgroup, CPU and memory binding, Unix user, working directory and
/// environment. Repeated in every reply until the agent has dialled back (or the controller gives up), so an
/// agent ignores an order for a step it already started.
public struct StepOrder: Hashable, Sendable, Codable {
    public var jobId: Int64
    public var runId: String
    public var step: Int
    public var command: [String]
    public var pty: Bool
    public var rows: UInt16?
    public var cols: UInt16?
    public var term: String?
    /// Every node the step runs on, in order; a node's position is its `SLURM_NODEID` in the step.
    public var nodes: [String]
    /// Tasks on each node, and what each has of its own (as `StepRequest`'s); nil for the defaults.
    public var tasksPerNode: Int?
    public var gpusPerTask: Int?
    public var coresPerTask: Int?
    /// The environment `srun` ran in; nil for the run's own.
    public var environment: [String: String]?

    public init(jobId: Int64, runId: String, step: Int, nodes: [String], request: StepRequest) {
        self.jobId = jobId
        self.runId = runId
        self.step = step
        self.nodes = nodes
        self.command = request.command
        self.pty = request.pty
        self.rows = request.rows
        self.cols = request.cols
        self.term = request.term
        self.tasksPerNode = request.tasksPerNode
        self.gpusPerTask = request.gpusPerTask
        self.coresPerTask = request.coresPerTask
        self.environment = request.environment
    }

    /// The request's parts that decide how the tasks share a node.
    public var tasks: StepRequest {
        StepRequest(
            command: command, pty: pty, tasksPerNode: tasksPerNode, gpusPerTask: gpusPerTask,
            coresPerTask: coresPerTask)
    }

    /// At most how many bytes it takes in a reply's JSON: its command, environment and node names as JSON
    /// escapes them (a control character as `\u00XX`), and the rest.
    public var approximateBytes: Int {
        func json(_ text: String) -> Int {
            text.utf8.reduce(3) { sum, byte in
                sum
                    + (byte < 0x20
                        ? 6
                        : (byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "/")
                            ? 2 : 1))
            }
        }
        let environment = self.environment?.reduce(0) { $0 + json($1.key) + json($1.value) } ?? 0
        return 512 + json(term ?? "") + command.reduce(0) { $0 + json($1) } + nodes.reduce(0) { $0 + json($1) }
            + environment
    }

    /// "42.0": the step as people write it, and the key both sides use.
    public var key: String { "\(jobId).\(step)" }
}

/// A step as `GET /v1/jobs/{id}/steps` lists it.
public struct StepView: Hashable, Sendable, Codable {
    public enum State: String, Hashable, Sendable, Codable {
        /// Set up, its agent not connected yet.
        case starting
        case running
        /// Exit 0.
        case completed
        /// A non-zero exit, a signal, or a command that could not start (on any of its nodes).
        case failed
        /// Its client went away, or the job ended, before it did.
        case cancelled
    }

    /// "42.0".
    public var id: String
    public var step: Int
    public var command: [String]
    public var nodes: [String]
    /// Tasks on each node (nil: one).
    public var tasksPerNode: Int?
    public var pty: Bool
    public var state: State
    public var exitCode: Int32?
    public var signal: Int32?
    public var reason: String?
    /// Seconds since the epoch.
    public var startTime: Int64
    public var endTime: Int64?

    public init(
        id: String, step: Int, command: [String], nodes: [String], pty: Bool, state: State, startTime: Int64
    ) {
        self.id = id
        self.step = step
        self.command = command
        self.nodes = nodes
        self.pty = pty
        self.state = state
        self.startTime = startTime
    }
}

/// `GET /v1/jobs/{id}/steps`: the job's steps, oldest first.
public struct StepList: Hashable, Sendable, Codable {
    public var steps: [StepView]
    public init(steps: [StepView]) { self.steps = steps }
}

extension RunAssignment {
    /// What a job runs on its nodes but the first: nothing but holding the node's share of the allocation
    /// (its cgroup, binding, account) for steps (`srun`), until the job ends. The job's own command runs
    /// once, on its first node, as Slurm's batch step does.
    public static let holdCommand = ["sleep", "infinity"]
}
