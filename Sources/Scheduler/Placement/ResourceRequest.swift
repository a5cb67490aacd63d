/// What a job asks for. Sizes of cores, memory and scratch are per node.
///
/// Field names are the API's and the jobs file's (docs/placement.md).
public struct ResourceRequest: Hashable, Sendable, Codable {
    /// GPUs in total (across all nodes of a multi-node job).
    public var gpus: Int?
    /// GPU memory in total; the engine derives the GPU count for the model it picks.
    public var gpuMemory: ByteSize?
    /// Only this GPU model.
    public var gpuModel: String?
    /// Only GPUs with at least this much memory each.
    public var minGpuMemory: ByteSize?
    /// Physical CPU cores per node (each with its hardware threads); default: the partition's per GPU.
    public var cpus: Int?
    /// Host memory per node; default: the partition's per GPU.
    public var memory: ByteSize?
    /// Node-local scratch per node.
    public var scratch: ByteSize?
    /// Shared storage (from the cluster's shared file system quota).
    public var storage: ByteSize?
    /// Node count; more than one makes a gang of whole nodes.
    public var nodes: Int?
    /// GPUs on each node of a multi-node job.
    public var gpusPerNode: Int?
    /// The whole node(s), nothing shared.
    public var exclusive: Bool
    /// Refuse, rather than span NUMA domains, when the GPUs cannot share one domain.
    public var sameNuma: Bool
    public var partition: String?
    public var account: String?
    /// Time limit; default: the partition's.
    public var time: TimeSpan?

    public init(
        gpus: Int? = nil, gpuMemory: ByteSize? = nil, gpuModel: String? = nil, minGpuMemory: ByteSize? = nil,
        cpus: Int? = nil, memory: ByteSize? = nil, scratch: ByteSize? = nil, storage: ByteSize? = nil,
        nodes: Int? = nil, gpusPerNode: Int? = nil, exclusive: Bool = false, sameNuma: Bool = false,
        partition: String? = nil, account: String? = nil, time: TimeSpan? = nil
    ) {
        self.gpus = gpus
        self.gpuMemory = gpuMemory
        self.gpuModel = gpuModel
        self.minGpuMemory = minGpuMemory
        self.cpus = cpus
        self.memory = memory
        self.scratch = scratch
        self.storage = storage
        self.nodes = nodes
        self.gpusPerNode = gpusPerNode
        self.exclusive = exclusive
        self.sameNuma = sameNuma
        self.partition = partition
        self.account = account
        self.time = time
    }

    /// The request's fields as a jobs file or API body names them.
    /// GPUs the job holds when it runs, when the request says (`gpus`, or `gpusPerNode` × nodes); nil for a
    /// GPU-memory request, whose count depends on the model chosen.
    public var gpuCount: Int? {
        if let g = gpus { return g }
        if let p = gpusPerNode { return p * max(nodes ?? 1, 1) }
        return gpuMemory == nil ? 0 : nil
    }

    public static let fieldNames: Set<String> = [
        "gpus", "gpuMemory", "gpuModel", "minGpuMemory", "cpus", "memory", "scratch", "storage", "nodes",
        "gpusPerNode", "exclusive", "sameNuma", "partition", "account", "time",
    ]

    /// Reads a request from a YAML/JSON mapping; `extraKeys` are other fields the caller allows.
    public init(config n: ConfigNode, extraKeys: Set<String> = []) throws(ConfigError) {
        try n.onlyKeys(Self.fieldNames.union(extraKeys))
        self.init()
        gpus = try n.optional("gpus")?.nonNegativeInt()
        gpuMemory = try n.optional("gpuMemory")?.byteSize()
        gpuModel = try n.optional("gpuModel")?.string()
        minGpuMemory = try n.optional("minGpuMemory")?.byteSize()
        cpus = try n.optional("cpus")?.nonNegativeInt()
        memory = try n.optional("memory")?.byteSize()
        scratch = try n.optional("scratch")?.byteSize()
        storage = try n.optional("storage")?.byteSize()
        nodes = try n.optional("nodes")?.int()
        gpusPerNode = try n.optional("gpusPerNode")?.int()
        exclusive = try n.optional("exclusive")?.bool() ?? false
        sameNuma = try n.optional("sameNuma")?.bool() ?? false
        partition = try n.optional("partition")?.string()
        account = try n.optional("account")?.string()
        time = try n.optional("time")?.timeSpan()
        if let v = nodes, v < 1 { throw try n.required("nodes").error("a job needs at least 1 node, not \(v)") }
        if let v = gpusPerNode, v < 1 {
            throw try n.required("gpusPerNode").error("gpusPerNode must be at least 1, not \(v)")
        }
        if gpus != nil && gpuMemory != nil {
            throw n.error("give either 'gpus' or 'gpuMemory', not both")
        }
    }
}
