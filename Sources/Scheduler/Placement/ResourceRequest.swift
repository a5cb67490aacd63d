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
    /// Node count; more than one makes a gang: of whole nodes, or of a share of each in a partition whose
    /// multi-node jobs share nodes (`Partition.multiNodeJobs`).
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
    /// The nodes the job runs on, exactly, as a host list ("dgx[01-03],dgx05"): `nodes` defaults to their
    /// count, and must equal it (Slurm's `--nodelist`, which also allows more nodes than listed).
    public var nodelist: String? {
        get { filters?.nodelist }
        set { filters = Filters.make(nodelist: newValue, exclude: exclude, constraint: constraint) }
    }
    /// Nodes the job never runs on, as a host list (Slurm's `--exclude`).
    public var exclude: String? {
        get { filters?.exclude }
        set { filters = Filters.make(nodelist: nodelist, exclude: newValue, constraint: constraint) }
    }
    /// Node features every node of the job must have: names joined by `&` (and, also `,`) and `|` (or)
    /// (Slurm's `--constraint`, without its brackets, parentheses and counts; `NodeConstraint`).
    public var constraint: String? {
        get { filters?.constraint }
        set { filters = Filters.make(nodelist: nodelist, exclude: exclude, constraint: newValue) }
    }
    /// `nodelist`, `exclude` and `constraint`, nil when none is given. Held by reference: most requests
    /// have none, and a request is copied whenever it is resolved (every placement of one not shared), so
    /// the three add one reference to a request, not three texts.
    private var filters: Filters?

    /// A request's node filters (`filters`), each as given.
    private final class Filters: Hashable, Sendable {
        let nodelist: String?
        let exclude: String?
        let constraint: String?

        private init(nodelist: String?, exclude: String?, constraint: String?) {
            self.nodelist = nodelist
            self.exclude = exclude
            self.constraint = constraint
        }

        /// The filters, or nil when none is given.
        static func make(nodelist: String?, exclude: String?, constraint: String?) -> Filters? {
            guard nodelist != nil || exclude != nil || constraint != nil else { return nil }
            return Filters(nodelist: nodelist, exclude: exclude, constraint: constraint)
        }

        static func == (a: Filters, b: Filters) -> Bool {
            (a.nodelist, a.exclude, a.constraint) == (b.nodelist, b.exclude, b.constraint)
        }

        func hash(into h: inout Hasher) {
            h.combine(nodelist)
            h.combine(exclude)
            h.combine(constraint)
        }
    }

    public init(
        gpus: Int? = nil, gpuMemory: ByteSize? = nil, gpuModel: String? = nil, minGpuMemory: ByteSize? = nil,
        cpus: Int? = nil, memory: ByteSize? = nil, scratch: ByteSize? = nil, storage: ByteSize? = nil,
        nodes: Int? = nil, gpusPerNode: Int? = nil, exclusive: Bool = false, sameNuma: Bool = false,
        partition: String? = nil, account: String? = nil, time: TimeSpan? = nil, nodelist: String? = nil,
        exclude: String? = nil, constraint: String? = nil
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
        filters = Filters.make(nodelist: nodelist, exclude: exclude, constraint: constraint)
    }

    /// Whether it limits the nodes it may use (`nodelist`, `exclude` or `constraint`).
    public var filtersNodes: Bool { filters != nil }

    /// The fields as the API and job files name them (every field of the request is one).
    private enum CodingKeys: String, CodingKey {
        case gpus, gpuMemory, gpuModel, minGpuMemory, cpus, memory, scratch, storage, nodes, gpusPerNode
        case exclusive, sameNuma, partition, account, time, nodelist, exclude, constraint
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        gpus = try c.decodeIfPresent(Int.self, forKey: .gpus)
        gpuMemory = try c.decodeIfPresent(ByteSize.self, forKey: .gpuMemory)
        gpuModel = try c.decodeIfPresent(String.self, forKey: .gpuModel)
        minGpuMemory = try c.decodeIfPresent(ByteSize.self, forKey: .minGpuMemory)
        cpus = try c.decodeIfPresent(Int.self, forKey: .cpus)
        memory = try c.decodeIfPresent(ByteSize.self, forKey: .memory)
        scratch = try c.decodeIfPresent(ByteSize.self, forKey: .scratch)
        storage = try c.decodeIfPresent(ByteSize.self, forKey: .storage)
        nodes = try c.decodeIfPresent(Int.self, forKey: .nodes)
        gpusPerNode = try c.decodeIfPresent(Int.self, forKey: .gpusPerNode)
        exclusive = try c.decode(Bool.self, forKey: .exclusive)
        sameNuma = try c.decode(Bool.self, forKey: .sameNuma)
        partition = try c.decodeIfPresent(String.self, forKey: .partition)
        account = try c.decodeIfPresent(String.self, forKey: .account)
        time = try c.decodeIfPresent(TimeSpan.self, forKey: .time)
        filters = Filters.make(
            nodelist: try c.decodeIfPresent(String.self, forKey: .nodelist),
            exclude: try c.decodeIfPresent(String.self, forKey: .exclude),
            constraint: try c.decodeIfPresent(String.self, forKey: .constraint))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(gpus, forKey: .gpus)
        try c.encodeIfPresent(gpuMemory, forKey: .gpuMemory)
        try c.encodeIfPresent(gpuModel, forKey: .gpuModel)
        try c.encodeIfPresent(minGpuMemory, forKey: .minGpuMemory)
        try c.encodeIfPresent(cpus, forKey: .cpus)
        try c.encodeIfPresent(memory, forKey: .memory)
        try c.encodeIfPresent(scratch, forKey: .scratch)
        try c.encodeIfPresent(storage, forKey: .storage)
        try c.encodeIfPresent(nodes, forKey: .nodes)
        try c.encodeIfPresent(gpusPerNode, forKey: .gpusPerNode)
        try c.encode(exclusive, forKey: .exclusive)
        try c.encode(sameNuma, forKey: .sameNuma)
        try c.encodeIfPresent(partition, forKey: .partition)
        try c.encodeIfPresent(account, forKey: .account)
        try c.encodeIfPresent(time, forKey: .time)
        try c.encodeIfPresent(nodelist, forKey: .nodelist)
        try c.encodeIfPresent(exclude, forKey: .exclude)
        try c.encodeIfPresent(constraint, forKey: .constraint)
    }

    /// The nodes `nodelist` names, each once in the order written; nil without a nodelist or when it is not a
    /// host list of at most `Bounds.nodes` names.
    public var nodelistNames: [String]? { nodelist.flatMap(Self.hostNames) }

    /// The names of a host list, each once in the order written (nil: see `nodelistNames`).
    static func hostNames(_ text: String) -> [String]? {
        guard text.count <= Bounds.hostList, let names = RangeList.expandHosts(text, limit: Bounds.nodes) else {
            return nil
        }
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }

    /// The request's fields as a jobs file or API body names them.
    /// GPUs the job holds when it runs, when the request says (`gpus`, or `gpusPerNode` × nodes); nil for a
    /// GPU-memory request, whose count depends on the model chosen.
    public var gpuCount: Int? {
        if let g = gpus { return g }
        if let p = gpusPerNode {
            let count = nodes ?? nodelistNames?.count ?? 1
            let (product, overflow) = p.multipliedReportingOverflow(by: max(count, 1))
            return overflow ? Int.max : product
        }
        return gpuMemory == nil ? 0 : nil
    }

    public static let fieldNames: Set<String> = [
        "gpus", "gpuMemory", "gpuModel", "minGpuMemory", "cpus", "memory", "scratch", "storage", "nodes",
        "gpusPerNode", "exclusive", "sameNuma", "partition", "account", "time", "nodelist", "exclude", "constraint",
    ]

    /// The largest values a request may give. Far above any machine (a GB200 NVL72 domain has 72 GPUs, a
    /// DGX 2 TB of memory), and small enough that the engine's arithmetic on them (nodes × GPUs per node ×
    /// memory per GPU, a start plus a time limit) cannot overflow.
    public enum Bounds {
        public static let gpus = 65_536
        public static let nodes = 16_384
        public static let gpusPerNode = 1_024
        public static let cpus = 1_048_576
        /// 1 EiB, for every size (memory, scratch, storage, GPU memory).
        public static let size = ByteSize(bytes: 1 << 60)
        public static let time = TimeSpan.days(365)
        /// The longest `nodelist` or `exclude` text (each names at most `nodes` nodes).
        public static let hostList = 16_384
    }

    /// Why a request's numbers are beyond `Bounds`, naming the field and the bound; nil when within.
    public var boundsProblem: String? {
        func above(_ field: String, _ v: Int?, _ bound: Int) -> String? {
            guard let v, v > bound else { return nil }
            return "\(field): at most \(bound), not \(v)"
        }
        func above(_ field: String, _ v: ByteSize?) -> String? {
            guard let v, v > Bounds.size else { return nil }
            return "\(field): at most \(Bounds.size), not \(v)"
        }
        if let t = time, t > Bounds.time { return "time: at most \(Bounds.time), not \(t)" }
        return above("gpus", gpus, Bounds.gpus) ?? above("nodes", nodes, Bounds.nodes)
            ?? above("gpusPerNode", gpusPerNode, Bounds.gpusPerNode) ?? above("cpus", cpus, Bounds.cpus)
            ?? above("gpuMemory", gpuMemory) ?? above("minGpuMemory", minGpuMemory) ?? above("memory", memory)
            ?? above("scratch", scratch) ?? above("storage", storage) ?? (filtersNodes ? filterBoundsProblem : nil)
    }

    /// Why a filter's text is longer than its bound, or nil.
    @inline(never)
    private var filterBoundsProblem: String? {
        func long(_ field: String, _ text: String?, _ bound: Int) -> String? {
            guard let text, text.count > bound else { return nil }
            return "\(field): at most \(bound) characters, not \(text.count)"
        }
        return long("nodelist", nodelist, Bounds.hostList) ?? long("exclude", exclude, Bounds.hostList)
            ?? long("constraint", constraint, NodeConstraint.maxLength)
    }

    /// Reads a request from a YAML/JSON mapping; `extraKeys` are other fields the caller allows. Every
    /// number is within `Bounds`; names are labels (`TerminalText.labelProblem`).
    public init(config n: ConfigNode, extraKeys: Set<String> = []) throws(ConfigError) {
        try n.onlyKeys(Self.fieldNames.union(extraKeys))
        self.init()
        func count(_ key: String, min: Int, max: Int) throws(ConfigError) -> Int? {
            guard let node = try n.optional(key) else { return nil }
            let v = try min == 0 ? node.nonNegativeInt() : node.int()
            if v < min {
                throw node.error(
                    key == "nodes"
                        ? "a job needs at least 1 node, not \(v)" : "\(key) must be at least \(min), not \(v)")
            }
            if v > max { throw node.error("at most \(max), not \(v)") }
            return v
        }
        func size(_ key: String) throws(ConfigError) -> ByteSize? {
            guard let node = try n.optional(key) else { return nil }
            let v = try node.byteSize()
            if v > Bounds.size { throw node.error("at most \(Bounds.size), not \(v)") }
            return v
        }
        gpus = try count("gpus", min: 0, max: Bounds.gpus)
        gpuMemory = try size("gpuMemory")
        gpuModel = try n.optional("gpuModel")?.label(maxLength: 64)
        minGpuMemory = try size("minGpuMemory")
        cpus = try count("cpus", min: 0, max: Bounds.cpus)
        memory = try size("memory")
        scratch = try size("scratch")
        storage = try size("storage")
        nodes = try count("nodes", min: 1, max: Bounds.nodes)
        gpusPerNode = try count("gpusPerNode", min: 1, max: Bounds.gpusPerNode)
        exclusive = try n.optional("exclusive")?.bool() ?? false
        sameNuma = try n.optional("sameNuma")?.bool() ?? false
        partition = try n.optional("partition")?.label(maxLength: 64)
        account = try n.optional("account")?.label(maxLength: 64)
        time = try n.optional("time")?.timeSpan(atMost: Bounds.time)
        if gpus != nil && gpuMemory != nil {
            throw n.error("give either 'gpus' or 'gpuMemory', not both")
        }
        func hostList(_ key: String) throws(ConfigError) -> (String, [String])? {
            guard let node = try n.optional(key) else { return nil }
            let text = try node.label(maxLength: Bounds.hostList)
            guard let names = Self.hostNames(text), !names.isEmpty else {
                throw node.error(
                    "cannot read host list '\(text)' (write dgx01, dgx[01-03] or dgx[01-03],dgx05; at most \(Bounds.nodes) nodes)"
                )
            }
            return (text, names)
        }
        if let (text, names) = try hostList("nodelist") {
            nodelist = text
            if let count = nodes, count != names.count {
                throw n.error(
                    "nodelist names \(names.count) node\(names.count == 1 ? "" : "s") but nodes is \(count): a job runs on exactly its nodelist (leave nodes out, or make them agree)"
                )
            }
        }
        exclude = try hostList("exclude")?.0
        if let node = try n.optional("constraint") {
            let text = try node.label(maxLength: NodeConstraint.maxLength)
            do { _ = try NodeConstraint(parsing: text) } catch { throw node.error(error.description) }
            constraint = text
        }
    }
}
