import Scheduler

/// Everything discovery found on a node: the engine's `NodeType` plus what only the agent needs
/// (PCI bus ids, OS indexes, NIC port states, PCIe switch sharing, NVLink).
///
/// Encodes to the JSON contract of `schedagent discover --json` (docs/agent.md).
public struct DiscoveredNode: Sendable, Hashable, Codable {
    /// A NUMA node: `index` is the OS (physical) index, as numactl and /sys number them.
    public struct NUMANode: Sendable, Hashable, Codable {
        public var index: Int
        public var memoryBytes: UInt64
        /// OS indexes of its logical CPUs.
        public var cpus: [Int]
        /// Logical index of the socket holding it.
        public var socket: Int?

        public init(
            index: Int, memoryBytes: UInt64, cpus: [Int], socket: Int? = nil
        ) {
            self.index = index
            self.memoryBytes = memoryBytes
            self.cpus = cpus
            self.socket = socket
        }
    }

    /// A physical core: its logical index (the engine's core id), OS index and logical CPUs.
    public struct Core: Sendable, Hashable, Codable {
        public var index: Int
        public var osIndex: Int?
        public var cpus: [Int]
        public var socket: Int?

        public init(
            index: Int, osIndex: Int? = nil, cpus: [Int], socket: Int? = nil
        ) {
            self.index = index
            self.osIndex = osIndex
            self.cpus = cpus
            self.socket = socket
        }
    }

    /// A GPU: one physical device, whatever number of CUDA/NVML/RSMI/OpenCL OS devices hwloc gave it.
    public struct GPU: Sendable, Hashable, Codable {
        /// Order by PCI bus id: CUDA's numbering under CUDA_DEVICE_ORDER=PCI_BUS_ID.
        public var index: Int
        public var pciBusId: String
        public var pciDeviceId: String
        /// Short model name ("H200"), as cluster.yaml names models.
        public var model: String
        /// The full name hwloc reported ("NVIDIA H100 80GB HBM3"), when it had one.
        public var modelName: String?
        public var memoryBytes: UInt64?
        /// Where `memoryBytes` came from: "hwloc" (CUDA backend) or "pci-id-table".
        public var memorySource: String?
        /// OS index of the local NUMA node.
        public var numa: Int?
        /// RDMA NICs behind the same PCIe switch, nearest first (fewest bridges up to the common one), then
        /// by name (the ones NCCL should use with this GPU).
        public var nics: [String]
        /// hwloc OS devices that stand for this GPU (cuda0, nvml0, ...).
        public var osDevices: [String]
        /// The closest PCIe switch above the GPU (bus id of the switch's upstream port); nil when the GPU
        /// hangs off a root port directly. GPUs and NICs with the same value share that switch.
        public var pcieSwitch: String? = nil
        /// The GPU's UUID as its vendor's runtime names it ("GPU-…": NVML's, or ROCm's from hwloc's AMDUUID);
        /// nil when hwloc had no driver backend to ask.
        public var uuid: String? = nil

        /// NVIDIA or AMD, from the PCI vendor id.
        public var vendor: GPUVendor? { GPUVendor(pciDeviceId: pciDeviceId) }

        public init(
            index: Int, pciBusId: String, pciDeviceId: String, model: String, modelName: String? = nil,
            memoryBytes: UInt64? = nil, memorySource: String? = nil, numa: Int? = nil, nics: [String],
            osDevices: [String], pcieSwitch: String? = nil, uuid: String? = nil
        ) {
            self.uuid = uuid
            self.index = index
            self.pciBusId = pciBusId
            self.pciDeviceId = pciDeviceId
            self.model = model
            self.modelName = modelName
            self.memoryBytes = memoryBytes
            self.memorySource = memorySource
            self.numa = numa
            self.nics = nics
            self.osDevices = osDevices
            self.pcieSwitch = pcieSwitch
        }
    }

    /// One port of a NIC.
    public struct Port: Sendable, Hashable, Codable {
        public var number: Int
        /// "active", "down", "init", "armed", or "state N" for others.
        public var state: String
        public var lid: String?

        public init(
            number: Int, state: String, lid: String? = nil
        ) {
            self.number = number
            self.state = state
            self.lid = lid
        }
    }

    /// A network interface: an RDMA device (mlx5_0, with its IPoIB/Ethernet netdev) or a plain netdev.
    public struct NIC: Sendable, Hashable, Codable {
        public var name: String
        public var pciBusId: String
        /// The PCI device without the function: ports of one dual-port card share it.
        public var card: String
        public var kind: NICKind
        public var numa: Int?
        /// State of the first port ("unknown" when hwloc knows none, as for plain netdevs).
        public var state: String
        public var ports: [Port]
        /// The kernel netdev on the same PCI function (ib0, enp32s0f1np1), for RDMA devices.
        public var netdev: String?
        public var rdma: Bool
        /// Link speed in Gb/s when known (hwloc does not report InfiniBand rates; nil then).
        public var speedGbps: Int?
        /// PCIe link bandwidth of the function in GB/s.
        public var pciLinkGBps: Double?
        /// The closest PCIe switch above the NIC, as for `GPU.pcieSwitch`.
        public var pcieSwitch: String? = nil

        public init(
            name: String, pciBusId: String, card: String, kind: NICKind, numa: Int? = nil, state: String, ports: [Port],
            netdev: String? = nil, rdma: Bool, speedGbps: Int? = nil, pciLinkGBps: Double? = nil,
            pcieSwitch: String? = nil
        ) {
            self.name = name
            self.pciBusId = pciBusId
            self.card = card
            self.kind = kind
            self.numa = numa
            self.state = state
            self.ports = ports
            self.netdev = netdev
            self.rdma = rdma
            self.speedGbps = speedGbps
            self.pciLinkGBps = pciLinkGBps
            self.pcieSwitch = pcieSwitch
        }
    }

    /// GPU-to-GPU NVLink bandwidth from hwloc's `NVLinkBandwidth` distances (MB/s as hwloc gives it).
    public struct NVLink: Sendable, Hashable, Codable {
        /// Rows and columns in GPU index order; direct GPU-GPU links only (0 where they meet via NVSwitch).
        public var gpuToGPU: [[UInt64]]
        /// Per GPU, the total bandwidth of its links to NVSwitches.
        public var gpuToSwitches: [UInt64]

        public init(
            gpuToGPU: [[UInt64]], gpuToSwitches: [UInt64]
        ) {
            self.gpuToGPU = gpuToGPU
            self.gpuToSwitches = gpuToSwitches
        }
    }

    public var sockets: Int
    public var cores: Int
    public var pus: Int
    public var threadsPerCore: Int
    public var numaNodes: [NUMANode]
    public var coreList: [Core]
    /// OS indexes of all logical CPUs.
    public var puList: [Int]
    public var gpus: [GPU]
    public var nics: [NIC]
    public var nvswitches: Int
    public var nvlink: NVLink?
    /// AMD GPUs' XGMI links, from hwloc's `XGMIBandwidth` distances (ROCm SMI backend), in the same form
    /// (`gpuToSwitches` all 0: XGMI has no switch); absent where hwloc has none.
    public var xgmi: NVLink? = nil
    public var cpuModel: String?
    public var product: String?

    /// The node in the engine's terms (`NodeType`), named `name`; see `DiscoveredNode+NodeType.swift`.
    public func nodeType(named name: String = "discovered") -> NodeType { makeNodeType(named: name) }

    public init(
        sockets: Int, cores: Int, pus: Int, threadsPerCore: Int, numaNodes: [NUMANode], coreList: [Core], puList: [Int],
        gpus: [GPU], nics: [NIC], nvswitches: Int, nvlink: NVLink? = nil, cpuModel: String? = nil,
        product: String? = nil
    ) {
        self.sockets = sockets
        self.cores = cores
        self.pus = pus
        self.threadsPerCore = threadsPerCore
        self.numaNodes = numaNodes
        self.coreList = coreList
        self.puList = puList
        self.gpus = gpus
        self.nics = nics
        self.nvswitches = nvswitches
        self.nvlink = nvlink
        self.cpuModel = cpuModel
        self.product = product
    }
}

extension DiscoveredNode {
    /// The vendor of the node's GPUs (the first GPU's; NVIDIA for a node without GPUs).
    public var gpuVendor: GPUVendor { gpus.lazy.compactMap(\.vendor).first ?? .nvidia }

    /// The GPUs' UUIDs by index, where hwloc gave them.
    public var gpuUUIDs: [Int: String] {
        Dictionary(gpus.compactMap { g in g.uuid.map { (g.index, $0) } }, uniquingKeysWith: { a, _ in a })
    }
}
