/// A GPU model: its name as users ask for it, its memory, and its speed relative to the H200.
public struct GPUModel: Hashable, Sendable, Codable {
    /// The name users ask for with `gpuModel`, e.g. "H200".
    public var name: String
    /// Memory per GPU.
    public var memory: ByteSize
    /// Throughput relative to an H200 (1.0), used by the simulator to scale runtimes.
    public var relativeSpeed: Double

    public init(name: String, memory: ByteSize, relativeSpeed: Double = 1.0) {
        self.name = name
        self.memory = memory
        self.relativeSpeed = relativeSpeed
    }
}

/// How a node's GPUs reach each other.
public enum GPUInterconnect: String, Hashable, Sendable, Codable {
    /// All-to-all through NVSwitches inside the node (DGX H100/H200/B200).
    case nvswitch
    /// NVLink bridges between pairs only.
    case nvlinkPairs = "nvlink-pairs"
    /// PCIe only.
    case pcie
    /// An NVLink domain larger than the node (GB200 NVL72): GPUs of all nodes in the domain meet.
    case nvlinkDomain = "nvlink-domain"
}

/// One GPU of a node type, where it sits and which compute NIC is nearest.
public struct GPUSlot: Hashable, Sendable, Codable {
    /// Index on the node, as CUDA numbers it with CUDA_DEVICE_ORDER=PCI_BUS_ID.
    public var index: Int
    /// The model's name (a key of the cluster's GPU models).
    public var model: String
    /// Memory of this GPU.
    public var memory: ByteSize
    /// The NUMA domain the GPU's PCIe root is attached to.
    public var numa: Int
    /// The compute NIC behind the same PCIe switch, if any.
    public var nic: String?
    /// PCI bus id when declared ("0000:18:00.0"); agents compare it with what hwloc finds.
    public var pciBusId: String?

    public init(index: Int, model: String, memory: ByteSize, numa: Int, nic: String?, pciBusId: String?) {
        self.index = index
        self.model = model
        self.memory = memory
        self.numa = numa
        self.nic = nic
        self.pciBusId = pciBusId
    }
}

/// What a network interface is for and what kind of link it has.
public enum NICKind: String, Hashable, Sendable, Codable {
    case infiniband, ethernet, efa
}

/// A network interface (one port of an HCA counts as one interface).
public struct NICSlot: Hashable, Sendable, Codable {
    /// The device name, e.g. "mlx5_0".
    public var name: String
    public var kind: NICKind
    /// Link speed in Gb/s, when known.
    public var speedGbps: Int?
    /// The NUMA domain the NIC is attached to.
    public var numa: Int
    /// "compute" NICs carry job traffic (NCCL); "storage" ones the shared file system.
    public var role: String

    public init(name: String, kind: NICKind, speedGbps: Int?, numa: Int, role: String) {
        self.name = name
        self.kind = kind
        self.speedGbps = speedGbps
        self.numa = numa
        self.role = role
    }
}

/// A NUMA domain of a node type: its memory, its cores and its GPUs.
public struct NUMADomain: Hashable, Sendable, Codable {
    public var index: Int
    /// The socket (package) that holds it.
    public var socket: Int
    /// Physical core ids in this domain.
    public var cores: [Int]
    public var memory: ByteSize
    /// Indices of GPUs attached to this domain.
    public var gpus: [Int]

    public init(index: Int, socket: Int, cores: [Int], memory: ByteSize, gpus: [Int]) {
        self.index = index
        self.socket = socket
        self.cores = cores
        self.memory = memory
        self.gpus = gpus
    }
}

/// A kind of node: the hardware every node of that type has.
public struct NodeType: Hashable, Sendable, Codable {
    /// The key used in cluster.yaml, e.g. "dgx-h200".
    public var name: String
    public var description: String
    public var sockets: Int
    public var coresPerSocket: Int
    public var threadsPerCore: Int
    public var numa: [NUMADomain]
    public var gpus: [GPUSlot]
    public var nics: [NICSlot]
    public var interconnect: GPUInterconnect
    /// Node-local scratch space.
    public var scratch: ByteSize
    /// Labels jobs select nodes by (`constraint`), held by every node of the type (cluster.yaml `features`).
    public var features: [String]

    public init(
        name: String, description: String, sockets: Int, coresPerSocket: Int, threadsPerCore: Int,
        numa: [NUMADomain], gpus: [GPUSlot], nics: [NICSlot], interconnect: GPUInterconnect, scratch: ByteSize,
        features: [String] = []
    ) {
        self.name = name
        self.description = description
        self.sockets = sockets
        self.coresPerSocket = coresPerSocket
        self.threadsPerCore = threadsPerCore
        self.numa = numa
        self.gpus = gpus
        self.nics = nics
        self.interconnect = interconnect
        self.scratch = scratch
        self.features = features
    }

    /// Total host memory.
    public var memory: ByteSize { numa.reduce(.zero) { $0 + $1.memory } }
    /// Physical cores.
    public var cores: Int { sockets * coresPerSocket }
    /// Hardware threads (logical CPUs).
    public var cpus: Int { cores * threadsPerCore }
    /// The model of the node's GPUs when they are all of one model.
    public var gpuModel: String? {
        let names = Set(gpus.map(\.model))
        return names.count == 1 ? names.first : nil
    }

    /// The logical CPU ids (hardware threads) of a physical core, in Linux's usual numbering: the
    /// first thread of every core, then the second of every core (core c has c, c + cores, …).
    public func threads(ofCore core: Int) -> [Int] {
        (0..<threadsPerCore).map { core + $0 * cores }
    }
}

/// A physical node of the cluster.
public struct Node: Hashable, Sendable, Codable {
    public var name: String
    /// The node type's name.
    public var type: String
    /// The leaf fabric switch the node's compute NICs connect to.
    public var fabricSwitch: String
    /// The NVLink domain (rack) for node types whose NVLink spans nodes.
    public var nvlinkDomain: String?
    /// Every feature the node has: its type's and its own (cluster.yaml `features`), sorted, each once.
    public var features: [String] = []
}

/// A switch of the compute fabric; leaves hold nodes, parents join leaves.
public struct FabricSwitch: Hashable, Sendable, Codable {
    public var name: String
    public var parent: String?
}

/// A partition: a set of nodes with limits and per-GPU defaults.
public struct Partition: Hashable, Sendable, Codable {
    public var name: String
    public var isDefault: Bool
    /// Longest time limit a job may ask for.
    public var maxTime: TimeSpan
    /// Time limit of a job that names none.
    public var defaultTime: TimeSpan
    /// CPU cores given per GPU when a job names no core count.
    public var coresPerGPU: Int
    /// Host memory given per GPU when a job names none.
    public var memoryPerGPU: ByteSize
    /// Cores and memory of a job with no GPUs that names none.
    public var defaultCores: Int
    public var defaultMemory: ByteSize
    /// Names of the nodes in the partition.
    public var nodes: [String]
    /// Accounts allowed to use it; empty means all.
    public var accounts: [String]
    /// Priority tier: jobs in a higher tier get more of the partition priority factor.
    public var priority: Int = 0
    /// Its running jobs may be preempted (requeued) to start a job of a partition with a higher tier.
    public var preemptible = false
    /// The longest kill grace (time between SIGTERM and SIGKILL) a job may ask for (`--kill-grace`).
    public var maxKillGrace: TimeSpan = .minutes(5)
    /// Whether its multi-node jobs take whole nodes (the default) or only what they ask for on each.
    public var multiNodeJobs: MultiNodeJobs = .wholeNodes
}

/// How a partition places multi-node jobs (cluster.yaml `multiNodeJobs`).
public enum MultiNodeJobs: String, Hashable, Sendable, Codable, CaseIterable {
    /// Whole idle nodes, on the fewest leaf switches: a gang has each node's GPUs, NICs, cores and memory to
    /// itself (`whole`).
    case wholeNodes = "whole"
    /// Each node's share as the job asks (`gpusPerNode`, cores, memory), beside other jobs (`shared`). A job
    /// without GPUs, or asking `exclusive`, still takes whole nodes.
    case shared
}

/// An account (an institute or a project under one) with a fair-share weight.
public struct Account: Hashable, Sendable, Codable {
    public var name: String
    public var description: String
    /// Relative share of the machine.
    public var share: Double
    /// The parent account for a project under an institute.
    public var parent: String?
    /// What the account may hold at once and use per period.
    public var limits = AccountLimits()
    /// Users who see the jobs and usage of this account and of the accounts under it (Slurm's account
    /// coordinators): an institute's contact, a project's lead.
    public var coordinators: [String] = []
}

/// An account's limits (cluster.yaml `accounts.NAME.limits`); nil means no limit. A job that would pass one
/// waits with the limit named as its reason.
public struct AccountLimits: Hashable, Sendable, Codable {
    /// GPUs its running jobs may hold together.
    public var gpus: Int?
    /// GPU-hours its jobs may use per `period` (periods start at the epoch: 30d periods repeat every 30 days).
    public var gpuHours: Double?
    public var period: TimeSpan = .days(30)
    /// Shared storage its running jobs may claim together.
    public var storage: ByteSize?

    public init(gpus: Int? = nil, gpuHours: Double? = nil, period: TimeSpan = .days(30), storage: ByteSize? = nil) {
        self.gpus = gpus
        self.gpuHours = gpuHours
        self.period = period
        self.storage = storage
    }

    public var isEmpty: Bool { gpus == nil && gpuHours == nil && storage == nil }
}
