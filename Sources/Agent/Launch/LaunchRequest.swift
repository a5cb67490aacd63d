import RasporedAPI
import Scheduler

/// A job for this node, as the engine placed it: what to run and on exactly which resources.
public struct LaunchRequest: Sendable, Hashable {
    /// The launcher's key for this process: its state file's name, what `cancel` and `wait` take. For a run
    /// the controller assigns it is the run id (`42`, or `42.1` for the job's first requeue).
    public var jobId: String
    /// The job id people know, for `%j` and `RASPORED_JOB_ID`; nil means `jobId`. Run `42.1` is job 42.
    public var userJobId: String?
    public var name: String
    /// argv; the first element is looked up in the job's PATH.
    public var command: [String]
    public var workingDirectory: String
    /// Output file template: `%j` job id, `%x` job name, `%N` host name, `%A` array id, `%a` array task
    /// index, `%%` a percent sign; relative to the working directory.
    public var output: String = "raspored-%j.out"
    /// Separate stderr file template; nil sends stderr to the output file.
    public var error: String?
    /// Empty the output files when opening them; otherwise what the run writes is appended.
    public var truncateOutput: Bool = false
    /// A signal to send this long before the time limit; nil for none.
    public var warning: WarningSignal?
    /// Between SIGTERM and SIGKILL when the run is cancelled or reaches its time limit; nil for the
    /// launcher's grace period.
    public var killGrace: Duration?
    /// GPU indices (PCI bus id order) on this node.
    public var gpus: [Int] = []
    /// Who made the node's GPUs (which variables name them), and their UUIDs by index where known.
    public var gpuVendor: GPUVendor = .nvidia
    public var gpuUUIDs: [Int: String] = [:]
    /// Logical CPUs (OS indexes) to bind to; empty means no CPU binding.
    public var cpus: [Int] = []
    /// Physical cores the CPUs amount to (for OMP_NUM_THREADS); nil means `cpus.count`.
    public var coreCount: Int?
    /// NUMA nodes (OS indexes) to bind memory to; empty means no memory binding.
    public var mems: [Int] = []
    /// Whether `cpus` and `mems` are bound (the default). False for an agent standing in for a node whose
    /// hardware is not this machine (`--topology`): the job then runs unbound, and `cpus`, `mems` are only
    /// exported in its environment.
    public var bind: Bool = true
    /// RDMA devices for NCCL (e.g. the NICs behind the allocated GPUs' switches).
    public var nics: [String] = []
    /// All nodes of the job in rank order; this node's place in it is `nodeRank`.
    public var nodeList: [String] = []
    public var nodeRank: Int = 0
    /// Rendezvous for multi-node jobs; defaults to the first node and a port derived from the job id.
    public var masterAddress: String?
    public var masterPort: Int?
    public var timeLimit: Duration?
    /// The job's base environment (the submitter's); nil inherits the agent's own.
    public var environment: [String: String]?
    /// For a task of a job array: which task of which array (`SLURM_ARRAY_*`, `%A`, `%a`); nil otherwise.
    public var array: ArrayTask?
    /// The job's tasks (`--ntasks-per-node`, …); nil for one per node.
    public var tasks: TaskLayout?

    /// The controller user the job belongs to: with a launcher that runs jobs as their submitters
    /// (`RunAs.submitter`), it runs as the Unix account of that name on this node.
    public var user: String?
    /// Whether it may run as an account whose uid is 0 (cluster.yaml's `rootUsers` names its user).
    public var allowRoot: Bool = false
    /// The job's memory on this node: its cgroup's limit (no swap beyond it); nil for none.
    public var memoryLimitBytes: UInt64?

    /// The job id for `%j` and `RASPORED_JOB_ID`: `userJobId`, else `jobId`.
    public var visibleJobId: String { userJobId ?? jobId }

    public init(jobId: String, name: String, command: [String], workingDirectory: String) {
        self.jobId = jobId
        self.name = name
        self.command = command
        self.workingDirectory = workingDirectory
    }
}

/// Whose identity jobs run with.
public enum RunAs: String, Sendable, Hashable, CaseIterable {
    /// The Unix account named by the job's user (`LaunchRequest.user`): a production node.
    case submitter
    /// The agent's own user, whoever submitted the job: `run-local`, and a personal stand-in cluster.
    case agent
}

/// Why a job could not be started.
public struct LaunchError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
