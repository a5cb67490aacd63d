import RasporedAPI
import Scheduler

extension DiscoveredNode {
    /// Reads the topology from `source` (the live machine or an hwloc XML file) and interprets it.
    public static func discover(_ source: TopologySource) throws(DiscoveryError) -> DiscoveredNode {
        DiscoveredNode(snapshot: try HwlocReader.read(source))
    }

    /// Interprets what hwloc reported: GPUs are PCI functions (NVIDIA's, vendor 0x10de, of class 0x0302 or
    /// 0x0300; AMD's, vendor 0x1002, of class 0x0380, 0x0302 or 0x0300), not OS devices, so one GPU reported
    /// three times (CUDA, NVML, OpenCL; RSMI, OpenCL) counts once and a GPU without any OS device (no driver
    /// backend) still counts.
    public init(snapshot s: HwlocSnapshot) {
        let cores: [Core] =
            s.cores.isEmpty
            // Some exports have no Core objects: then every PU is its own core.
            ? s.pus.enumerated().map { Core(index: $0.offset, osIndex: $0.element, cpus: [$0.element], socket: nil) }
            : s.cores.sorted { $0.logicalIndex < $1.logicalIndex }.map {
                Core(index: $0.logicalIndex, osIndex: $0.osIndex, cpus: $0.pus, socket: $0.package)
            }
        let socketOfCPU = Dictionary(
            cores.flatMap { c in c.cpus.map { ($0, c.socket) } }, uniquingKeysWith: { a, _ in a })
        let numaNodes = s.numaNodes.map { n in
            NUMANode(
                index: n.osIndex, memoryBytes: n.memoryBytes, cpus: n.cpus,
                socket: n.package ?? n.cpus.first.flatMap { socketOfCPU[$0] ?? nil })
        }
        let gpuDevices = s.pciDevices.filter(Self.isGPU).sorted { $0.busId < $1.busId }
        let nics = Self.nics(of: s.pciDevices)
        let gpus = gpuDevices.enumerated().map { index, dev in
            Self.gpu(index: index, device: dev, nics: nics, devices: s.pciDevices)
        }
        let switches = s.pciDevices.filter {
            $0.subtype == "NVSwitch" || ($0.vendorId == NVIDIADeviceTable.vendorId && $0.classId == 0x0680)
        }
        self.init(
            sockets: s.packages, cores: cores.count, pus: s.pus.count,
            threadsPerCore: cores.map(\.cpus.count).max() ?? 1, numaNodes: numaNodes, coreList: cores,
            puList: s.pus, gpus: gpus, nics: nics, nvswitches: switches.count,
            nvlink: Self.links(
                s.distances, named: "NVLinkBandwidth", gpus: gpuDevices.map(\.id), switches: Set(switches.map(\.id))),
            cpuModel: s.cpuModel, product: s.machineInfos["DMIProductName"])
        xgmi = Self.links(s.distances, named: "XGMIBandwidth", gpus: gpuDevices.map(\.id), switches: [])
    }

    /// Whether a PCI function is a GPU: an NVIDIA 3D or VGA controller, or an AMD display, 3D or VGA
    /// controller (Instinct boards are "display controllers", 0x0380).
    static func isGPU(_ d: HwlocSnapshot.PCIDevice) -> Bool {
        switch GPUVendor(pciVendorId: d.vendorId) {
        case .nvidia: d.classId == 0x0302 || d.classId == 0x0300
        case .amd: d.classId == 0x0380 || d.classId == 0x0302 || d.classId == 0x0300
        case nil: false
        }
    }

    private static func gpu(
        index: Int, device dev: HwlocSnapshot.PCIDevice, nics: [NIC], devices: [HwlocSnapshot.PCIDevice]
    ) -> GPU {
        let vendor = GPUVendor(pciVendorId: dev.vendorId) ?? .nvidia
        let infos = dev.osDevices.map(\.infos)
        let driverName: String?
        let model: String
        let memoryKiB: UInt64?
        let entry: NVIDIADeviceTable.Entry?
        let uuid: String?
        switch vendor {
        case .nvidia:
            // The driver's name (CUDA/NVML OS devices) first, then the device-id table; pci.ids' PCIDevice name
            // ("GV100GL [Tesla V100 SXM2 16GB]") only when neither knows the GPU.
            driverName = infos.lazy.compactMap { $0["GPUModel"] }.first
            entry = NVIDIADeviceTable.entries[dev.deviceId]
            model =
                driverName.map(NVIDIADeviceTable.shortName(fromMarketingName:)) ?? entry?.model
                ?? (driverName ?? dev.infos["PCIDevice"]).map(NVIDIADeviceTable.shortName(fromMarketingName:))
                ?? "NVIDIA-\(hex4(dev.deviceId))"
            // CUDAGlobalMemorySize is in KiB.
            memoryKiB = infos.lazy.compactMap { $0["CUDAGlobalMemorySize"].flatMap { UInt64($0) } }.first
            uuid = infos.lazy.compactMap { $0["NVIDIAUUID"] }.first
        case .amd:
            // ROCm SMI's name (RSMI OS device) first; the OpenCL backend names the board as pci.ids does, which
            // calls an MI50 a "Radeon Pro VII" (one device id for both).
            let rsmi = dev.osDevices.first { $0.subtype == "RSMI" }?.infos
            driverName = rsmi?["GPUModel"]
            entry = AMDDeviceTable.entries[dev.deviceId]
            model =
                driverName.flatMap(AMDDeviceTable.model(inMarketingName:)) ?? entry?.model
                ?? dev.infos["PCIDevice"].flatMap(AMDDeviceTable.model(inMarketingName:)) ?? "AMD-\(hex4(dev.deviceId))"
            // OpenCLGlobalMemorySize is in KiB.
            memoryKiB = infos.lazy.compactMap { $0["OpenCLGlobalMemorySize"].flatMap { UInt64($0) } }.first
            uuid = rsmi?["AMDUUID"].flatMap(GPUVendor.rocmUUID)
        }
        let marketing = driverName ?? dev.infos["PCIDevice"]
        let memory = memoryKiB.map { $0 * 1024 } ?? entry?.memory.bytes
        let source = memoryKiB != nil ? "hwloc" : entry != nil ? "pci-id-table" : nil
        // Same PCIe switch: the lowest common ancestor of the two functions is a PCI-to-PCI bridge.
        let mine = Dictionary(dev.ancestors.map { ($0.id, $0.isPCIBridge) }, uniquingKeysWith: { a, _ in a })
        let byBus = Dictionary(devices.map { ($0.busId, $0) }, uniquingKeysWith: { a, _ in a })
        let position = Dictionary(
            dev.ancestors.enumerated().map { ($0.element.id, $0.offset) }, uniquingKeysWith: { a, _ in a })
        // Nearest first: the common bridge fewest steps above the GPU; then by name (nics is in name order).
        let near = nics.compactMap { nic -> (NIC, Int)? in
            guard nic.rdma, let d = byBus[nic.pciBusId], let lca = d.ancestors.first(where: { mine[$0.id] != nil }),
                lca.isPCIBridge, let steps = position[lca.id]
            else { return nil }
            return (nic, steps)
        }.enumerated().sorted { ($0.element.1, $0.offset) < ($1.element.1, $1.offset) }.map(\.element.0)
        return GPU(
            index: index, pciBusId: dev.busId, pciDeviceId: "\(hex4(dev.vendorId)):\(hex4(dev.deviceId))",
            model: model, modelName: marketing, memoryBytes: memory, memorySource: source, numa: dev.numa.first,
            nics: near.map(\.name),
            osDevices: dev.osDevices.filter { $0.kind == .gpu || $0.kind == .coprocessor }
                .map(\.name),
            pcieSwitch: pcieSwitch(dev), uuid: uuid)
    }

    /// The closest PCIe switch above a device: its parent is a switch's downstream port, whose parent (the
    /// switch's upstream port, named by its bus id) hangs below another PCI bridge (a root port or a port of
    /// an outer switch). A device whose parent bridge sits directly under a host bridge is on a root port.
    static func pcieSwitch(_ dev: HwlocSnapshot.PCIDevice) -> String? {
        let a = dev.ancestors
        guard a.count >= 3, a[0].isPCIBridge, a[1].isPCIBridge, a[2].isPCIBridge else { return nil }
        return a[1].busId
    }

    private static func nics(of devices: [HwlocSnapshot.PCIDevice]) -> [NIC] {
        var out: [NIC] = []
        for dev in devices {
            let netdevs = dev.osDevices.filter { $0.kind == .network }
            let rdma = dev.osDevices.filter { $0.kind == .openFabrics }
            let kind: NICKind =
                dev.vendorId == 0x1d0f ? .efa : dev.classId == 0x0207 ? .infiniband : .ethernet
            let card = String(dev.busId.prefix { $0 != "." })
            for r in rdma {
                let ports = Self.ports(r.infos)
                out.append(
                    NIC(
                        name: r.name, pciBusId: dev.busId, card: card, kind: kind, numa: dev.numa.first,
                        state: ports.first?.state ?? "unknown", ports: ports, netdev: netdevs.first?.name, rdma: true,
                        speedGbps: nil, pciLinkGBps: dev.linkGBps, pcieSwitch: pcieSwitch(dev)))
            }
            if rdma.isEmpty {
                for n in netdevs {
                    out.append(
                        NIC(
                            name: n.name, pciBusId: dev.busId, card: card, kind: kind, numa: dev.numa.first,
                            state: "unknown", ports: [], netdev: nil, rdma: false, speedGbps: nil,
                            pciLinkGBps: dev.linkGBps, pcieSwitch: pcieSwitch(dev)))
                }
            }
        }
        return out.sorted { naturalOrder($0.name, $1.name) }
    }

    /// Ports from hwloc's OpenFabrics infos "Port<N>State" (IB port states: 1 down, 2 init, 3 armed, 4 active).
    private static func ports(_ infos: [String: String]) -> [Port] {
        infos.keys.compactMap { key -> Port? in
            guard key.hasPrefix("Port"), key.hasSuffix("State"),
                let n = Int(key.dropFirst(4).dropLast(5)), let v = Int(infos[key]!)
            else { return nil }
            let state = [1: "down", 2: "init", 3: "armed", 4: "active", 5: "active-defer"][v] ?? "state \(v)"
            return Port(number: n, state: state, lid: infos["Port\(n)LID"])
        }.sorted { $0.number < $1.number }
    }

    /// GPU-to-GPU links from the distances matrix `name` (NVLinkBandwidth, XGMIBandwidth): direct links, and
    /// each GPU's total towards `switches`.
    private static func links(
        _ distances: [HwlocSnapshot.Distances], named name: String, gpus: [UInt64], switches: Set<UInt64>
    ) -> NVLink? {
        guard let d = distances.first(where: { $0.name == name }) else { return nil }
        let gpuIndex = Dictionary(gpus.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
        var matrix = Array(repeating: Array(repeating: UInt64(0), count: gpus.count), count: gpus.count)
        var toSwitches = Array(repeating: UInt64(0), count: gpus.count)
        let n = d.objects.count
        for i in 0..<n {
            guard let oi = d.objects[i], let gi = gpuIndex[oi] else { continue }
            for j in 0..<n where j != i {
                guard let oj = d.objects[j] else { continue }
                let v = d.values[i * n + j]
                if let gj = gpuIndex[oj] { matrix[gi][gj] = v } else if switches.contains(oj) { toSwitches[gi] += v }
            }
        }
        return NVLink(gpuToGPU: matrix, gpuToSwitches: toSwitches)
    }
}

/// Orders "mlx5_2" before "mlx5_10": the trailing number compares as a number.
func naturalOrder(_ a: String, _ b: String) -> Bool {
    func split(_ s: String) -> (String, Int?) {
        let digits = s.reversed().prefix { $0.isNumber }
        return (String(s.dropLast(digits.count)), Int(String(digits.reversed())))
    }
    let (pa, na) = split(a)
    let (pb, nb) = split(b)
    if pa != pb { return pa < pb }
    return (na ?? -1) < (nb ?? -1)
}

func hex4(_ v: UInt16) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 4 - s.count) + s
}
