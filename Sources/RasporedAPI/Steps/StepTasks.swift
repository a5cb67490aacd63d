import Scheduler

/// One task's share of its node's part of a job's allocation: the GPUs it sees and the cores (each core's
/// CPUs) it is bound to.
public struct TaskShare: Hashable, Sendable {
    public var gpus: [Int]
    public var cores: [[Int]]

    public init(gpus: [Int], cores: [[Int]]) {
        self.gpus = gpus
        self.cores = cores
    }
}

extension TaskLayout {
    /// What `srun` in a job with this layout on `nodes` nodes takes as its defaults, as the job's environment
    /// (and an alloc shell's) carries them: `RASPORED_TASKS_PER_NODE`, `RASPORED_CORES_PER_TASK`,
    /// `RASPORED_GPUS_PER_TASK`.
    public func stepDefaults(nodes: Int) -> [String: String] {
        var variables = ["RASPORED_TASKS_PER_NODE": String(tasksPerNode(nodes: nodes))]
        if let c = coresPerTask { variables["RASPORED_CORES_PER_TASK"] = String(c) }
        if let g = gpusPerTask { variables["RASPORED_GPUS_PER_TASK"] = String(g) }
        return variables
    }
}

extension StepRequest {
    /// Tasks on each of the step's nodes.
    public var tasks: Int { tasksPerNode ?? 1 }

    /// The step's tasks as a job's layout (for its bounds).
    public var layout: TaskLayout {
        TaskLayout(perNode: tasks, coresPerTask: coresPerTask, gpusPerTask: gpusPerTask)
    }

    /// Why the step's tasks cannot share `gpus` GPUs and `cores` cores, the job's on `node`, or nil. Each
    /// task needs a core of its own (or `coresPerTask`), and `gpusPerTask` GPUs of its own when it asks.
    public func taskProblem(gpus: Int, cores: Int, node: String) -> String? {
        let t = tasks
        if let g = gpusPerTask, g * t > gpus {
            return "\(t) task(s) × \(g) GPU(s) each need \(g * t) GPUs; job's share of \(node) has \(gpus)"
        }
        if let c = coresPerTask, c * t > cores {
            return "\(t) task(s) × \(c) core(s) each need \(c * t) cores; job's share of \(node) has \(cores)"
        }
        if coresPerTask == nil, cores > 0, t > cores {
            return "\(t) tasks need a core each; job's share of \(node) has \(cores) (ask for more with -c)"
        }
        return nil
    }

    /// Each task's share of a node's allocation (`gpus`, and `cores` as each core's CPUs), in task order:
    /// consecutive slices of the cores, `coresPerTask` each or an even share (a remainder stays unused), and
    /// of the GPUs with `gpusPerTask`, else every GPU for every task. Nil when `taskProblem` says why not.
    public func shares(gpus: [Int], cores: [[Int]], node: String) -> [TaskShare]? {
        guard taskProblem(gpus: gpus.count, cores: cores.count, node: node) == nil else { return nil }
        let t = tasks
        let perTaskCores = coresPerTask ?? (cores.count / t)
        return (0..<t).map { l in
            TaskShare(
                gpus: gpusPerTask.map { g in Array(gpus[(l * g)..<((l + 1) * g)]) } ?? gpus,
                cores: cores.isEmpty ? [] : Array(cores[(l * perTaskCores)..<((l + 1) * perTaskCores)]))
        }
    }
}
