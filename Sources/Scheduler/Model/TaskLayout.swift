/// How a job's work divides into Slurm's tasks (`--ntasks-per-node`, `--cpus-per-task`, `--gpus-per-task`):
/// what its steps (`srun`) start on each node unless they say otherwise, and what its environment says
/// (`SLURM_NTASKS`, `SLURM_NTASKS_PER_NODE`, …). The job's resources are sized from it at submission; the
/// job's own command still runs once, on its first node.
public struct TaskLayout: Hashable, Sendable, Codable {
    /// Tasks on each node.
    public var perNode: Int
    /// Each task's own cores; nil: the node's cores split evenly among its tasks.
    public var coresPerTask: Int?
    /// Each task's own GPUs; nil: every task sees all of the job's GPUs on its node.
    public var gpusPerTask: Int?

    public init(perNode: Int, coresPerTask: Int? = nil, gpusPerTask: Int? = nil) {
        self.perNode = perNode
        self.coresPerTask = coresPerTask
        self.gpusPerTask = gpusPerTask
    }

    /// At most this many tasks on a node.
    public static let maxPerNode = 256
    /// At most this many cores or GPUs for one task.
    public static let maxPerTask = 4096

    /// Why it is out of bounds, or nil.
    public var problem: String? {
        guard (1...Self.maxPerNode).contains(perNode) else {
            return "tasks per node are 1 to \(Self.maxPerNode), not \(perNode)"
        }
        for (name, value) in [("cores", coresPerTask), ("GPUs", gpusPerTask)] {
            if let v = value, !(1...Self.maxPerTask).contains(v) {
                return "\(name) per task are 1 to \(Self.maxPerTask), not \(v)"
            }
        }
        return nil
    }
}
