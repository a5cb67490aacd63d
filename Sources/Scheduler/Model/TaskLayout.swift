/// How a job's work divides into Slurm's tasks (`--ntasks-per-node`, `--ntasks`, `--cpus-per-task`,
/// `--gpus-per-task`): what its steps (`srun`) start on each node unless they say otherwise, and what its
/// environment says (`SLURM_NTASKS`, `SLURM_NTASKS_PER_NODE`, …). The job's resources are sized from it at
/// submission; the job's own command still runs once, on its first node.
public struct TaskLayout: Hashable, Sendable, Codable {
    /// Tasks on each node; nil when only the total is known (`--ntasks` without `--nodes`).
    public var perNode: Int?
    /// Tasks in all (`--ntasks`), when given without a count per node: spread evenly over the job's nodes,
    /// rounded up (`tasksPerNode(nodes:)`).
    public var total: Int?
    /// Each task's own cores; nil: the node's cores split evenly among its tasks.
    public var coresPerTask: Int?
    /// Each task's own GPUs; nil: every task sees all of the job's GPUs on its node.
    public var gpusPerTask: Int?

    public init(perNode: Int? = nil, total: Int? = nil, coresPerTask: Int? = nil, gpusPerTask: Int? = nil) {
        self.perNode = perNode
        self.total = total
        self.coresPerTask = coresPerTask
        self.gpusPerTask = gpusPerTask
    }

    /// Tasks on each of `nodes` nodes: `perNode`, else the total over them rounded up, else one.
    public func tasksPerNode(nodes: Int) -> Int {
        if let perNode { return perNode }
        guard let total else { return 1 }
        let n = max(nodes, 1)
        return (total + n - 1) / n
    }

    /// Tasks in all on `nodes` nodes: the total when given, else as many on each node.
    public func tasks(nodes: Int) -> Int { total ?? tasksPerNode(nodes: nodes) * max(nodes, 1) }

    /// At most this many tasks on a node.
    public static let maxPerNode = 256
    /// At most this many tasks in all.
    public static let maxTotal = 1 << 20
    /// At most this many cores or GPUs for one task.
    public static let maxPerTask = 4096

    /// Why it is out of bounds, or nil.
    public var problem: String? {
        if let perNode, !(1...Self.maxPerNode).contains(perNode) {
            return "tasks per node are 1 to \(Self.maxPerNode), not \(perNode)"
        }
        if let total, !(1...Self.maxTotal).contains(total) {
            return "tasks in all are 1 to \(Self.maxTotal), not \(total)"
        }
        for (name, value) in [("cores", coresPerTask), ("GPUs", gpusPerTask)] {
            if let v = value, !(1...Self.maxPerTask).contains(v) {
                return "\(name) per task are 1 to \(Self.maxPerTask), not \(v)"
            }
        }
        return nil
    }
}
