/// The whole platform as cluster.yaml declares it: hardware, fabric, storage, partitions, accounts.
///
/// A value: read it with `ClusterSpec.load(file:)` or `ClusterSpec.parse(yaml:file:)`, then hand it
/// to `ClusterState` to place jobs.
public struct ClusterSpec: Hashable, Sendable, Codable {
    public var name: String
    public var gpuModels: [GPUModel]
    public var nodeTypes: [NodeType]
    /// Nodes in declaration order; their position is their index everywhere in the engine.
    public var nodes: [Node]
    public var switches: [FabricSwitch]
    /// Shared storage capacity (the parallel file system).
    public var sharedStorage: ByteSize
    public var partitions: [Partition]
    public var accounts: [Account]
    /// How placement chooses among feasible places (cluster.yaml `placement`).
    public var placement = PlacementSettings()
    /// The queue policy and its parameters (cluster.yaml `scheduling`).
    public var scheduling = SchedulingSettings()
    /// Controller users whose jobs may run as an account with uid 0 on the nodes (`security.rootUsers`, for
    /// admins' maintenance jobs); everyone else's such job is refused.
    public var rootUsers: [String] = []
    /// How many jobs, and how fast, one user may submit (`security.maxJobsPerUser`, `submissionsPerMinute`).
    public var admission = AdmissionLimits()

    public init(
        name: String, gpuModels: [GPUModel], nodeTypes: [NodeType], nodes: [Node], switches: [FabricSwitch],
        sharedStorage: ByteSize, partitions: [Partition], accounts: [Account]
    ) {
        self.name = name
        self.gpuModels = gpuModels
        self.nodeTypes = nodeTypes
        self.nodes = nodes
        self.switches = switches
        self.sharedStorage = sharedStorage
        self.partitions = partitions
        self.accounts = accounts
    }

    public func nodeType(named name: String) -> NodeType? { nodeTypes.first { $0.name == name } }
    public func nodeType(of node: Node) -> NodeType { nodeType(named: node.type)! }
    public func gpuModel(named name: String) -> GPUModel? {
        gpuModels.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }
    public func partition(named name: String) -> Partition? { partitions.first { $0.name == name } }
    /// The partition used when a request names none.
    public var defaultPartition: Partition? { partitions.first(where: \.isDefault) ?? partitions.first }
    public func nodeIndex(named name: String) -> Int? { nodes.firstIndex { $0.name == name } }
    public func account(named name: String) -> Account? { accounts.first { $0.name == name } }

    /// Total GPUs of all nodes.
    public var totalGPUs: Int { nodes.reduce(0) { $0 + nodeType(of: $1).gpus.count } }
    /// Total GPUs per model name.
    public var gpusByModel: [String: Int] {
        var out: [String: Int] = [:]
        for node in nodes {
            for gpu in nodeType(of: node).gpus { out[gpu.model, default: 0] += 1 }
        }
        return out
    }
}
