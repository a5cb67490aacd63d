/// What hwloc reported about one machine, as plain values: the raw material `DiscoveredNode` is built from.
///
/// Kept close to hwloc's own vocabulary (OS indexes, PCI functions, OS devices, info attributes) so that
/// the interpretation (which PCI device is a GPU, which NIC shares its switch) lives in pure Swift and
/// can be tested without C.
public struct HwlocSnapshot: Sendable, Hashable {
    /// One NUMA node: its physical (OS) index, memory and the OS indexes of its PUs.
    public struct NUMANode: Sendable, Hashable {
        public var osIndex: Int
        public var memoryBytes: UInt64
        public var cpus: [Int]
        /// Logical index of the package holding it, when it sits inside one.
        public var package: Int?
    }

    /// One physical core: hwloc's logical index, its OS index (per-package on Linux) and its PUs.
    public struct Core: Sendable, Hashable {
        public var logicalIndex: Int
        public var osIndex: Int?
        public var pus: [Int]
        public var package: Int?
    }

    /// An OS device hwloc attached to a PCI function (cuda0, nvml0, mlx5_0, ib0, ...).
    public struct OSDevice: Sendable, Hashable {
        /// hwloc's OS device type.
        public enum Kind: String, Sendable, Hashable {
            case block, gpu, network, openFabrics, dma, coprocessor, unknown
        }
        public var name: String
        public var kind: Kind
        /// "CUDA", "NVML", "OpenCL", ... when hwloc recorded one.
        public var subtype: String?
        public var infos: [String: String]
    }

    /// One step up the I/O tree from a PCI function: the object's hwloc id, whether it is a PCI-to-PCI
    /// bridge (a root or switch port) rather than a host bridge, and its own PCI bus id when it has one.
    public struct Ancestor: Sendable, Hashable {
        public var id: UInt64
        public var isPCIBridge: Bool
        public var busId: String? = nil
    }

    /// One PCI function with its locality and OS devices.
    public struct PCIDevice: Sendable, Hashable {
        /// hwloc's global persistent index: identifies the object within this snapshot.
        public var id: UInt64
        /// "dddd:bb:dd.f".
        public var busId: String
        public var vendorId: UInt16
        public var deviceId: UInt16
        public var classId: UInt16
        public var subtype: String?
        /// PCIe link speed in GB/s, when known.
        public var linkGBps: Double?
        /// NUMA OS indexes local to the device (from its nearest non-I/O ancestor).
        public var numa: [Int]
        /// Parents from the nearest upward, up to the first non-I/O object (excluded).
        public var ancestors: [Ancestor]
        public var infos: [String: String]
        public var osDevices: [OSDevice]
    }

    /// A distances matrix (e.g. NVLinkBandwidth) over PCI functions; objects hwloc gave as OS devices
    /// are replaced by their PCI function, others (none known) are nil.
    public struct Distances: Sendable, Hashable {
        public var name: String
        public var objects: [UInt64?]
        /// Row-major, objects.count × objects.count.
        public var values: [UInt64]
    }

    public var packages: Int
    public var numaNodes: [NUMANode]
    public var cores: [Core]
    /// OS indexes of all PUs, ascending.
    public var pus: [Int]
    public var pciDevices: [PCIDevice]
    public var distances: [Distances]
    /// The root object's info attributes (DMIProductName, CPUModel lives on packages: see `cpuModel`).
    public var machineInfos: [String: String]
    public var cpuModel: String?
}
