import CHwloc
import Glibc

/// Where to read a topology from.
public enum TopologySource: Sendable, Hashable {
    /// The machine this process runs on.
    case live
    /// An hwloc XML export (`lstopo --of xml`), so one machine can stand in for another.
    case xml(path: String)
}

/// Reads a topology through hwloc into an `HwlocSnapshot`.
///
/// This is the only file that touches hwloc's C objects: every pointer stays inside `read(_:)` and the
/// topology is destroyed before it returns.
public enum HwlocReader {
    /// Loads the topology (with all I/O objects kept) and copies what the agent needs out of it.
    public static func read(_ source: TopologySource) throws(DiscoveryError) -> HwlocSnapshot {
        var topologyOut: hwloc_topology_t?
        guard hwloc_topology_init(&topologyOut) == 0, let topology = topologyOut else {
            throw .hwlocCall("hwloc_topology_init", errno: errno)
        }
        defer { hwloc_topology_destroy(topology) }
        switch source {
        case .xml(let path):
            guard hwloc_topology_set_xml(topology, path) == 0 else {
                throw .hwlocCall("hwloc_topology_set_xml(\(path))", errno: errno)
            }
        case .live:
            // The node's hardware, not the agent's cgroup: a systemd unit restricted to a few CPUs must
            // still report (and be checked as) the whole machine.
            let flags = UInt(HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED.rawValue)
            guard hwloc_topology_set_flags(topology, flags) == 0 else {
                throw .hwlocCall("hwloc_topology_set_flags(INCLUDE_DISALLOWED)", errno: errno)
            }
        }
        // PCI functions are filtered out by default; GPUs, NICs and bridges are what we are here for.
        guard hwloc_topology_set_io_types_filter(topology, HWLOC_TYPE_FILTER_KEEP_ALL) == 0 else {
            throw .hwlocCall("hwloc_topology_set_io_types_filter", errno: errno)
        }
        guard hwloc_topology_load(topology) == 0 else {
            let where_ =
                if case .xml(let path) = source { "hwloc_topology_load(\(path))" } else { "hwloc_topology_load" }
            throw .hwlocCall(where_, errno: errno)
        }
        return snapshot(of: topology)
    }

    private static func snapshot(of topology: hwloc_topology_t) -> HwlocSnapshot {
        func objects(_ type: hwloc_obj_type_t) -> [hwloc_obj_t] {
            let n = hwloc_get_nbobjs_by_type(topology, type)
            return n <= 0 ? [] : (0..<UInt32(n)).compactMap { hwloc_get_obj_by_type(topology, type, $0) }
        }
        func package(of obj: hwloc_obj_t) -> Int? {
            hwloc_get_ancestor_obj_by_type(topology, HWLOC_OBJ_PACKAGE, obj).map { Int($0.pointee.logical_index) }
        }
        let numa = objects(HWLOC_OBJ_NUMANODE).map { obj in
            HwlocSnapshot.NUMANode(
                osIndex: Int(obj.pointee.os_index), memoryBytes: obj.pointee.attr.pointee.numanode.local_memory,
                cpus: bits(obj.pointee.cpuset), package: package(of: obj))
        }
        let cores = objects(HWLOC_OBJ_CORE).map { obj in
            HwlocSnapshot.Core(
                logicalIndex: Int(obj.pointee.logical_index), osIndex: osIndex(obj), pus: bits(obj.pointee.cpuset),
                package: package(of: obj))
        }
        let pus = objects(HWLOC_OBJ_PU).map { Int($0.pointee.os_index) }.sorted()
        let pci = objects(HWLOC_OBJ_PCI_DEVICE).map { pciDevice(topology, $0) }
        let packages = objects(HWLOC_OBJ_PACKAGE)
        let root = hwloc_get_root_obj(topology)!
        return HwlocSnapshot(
            packages: packages.count, numaNodes: numa.sorted { $0.osIndex < $1.osIndex }, cores: cores, pus: pus,
            pciDevices: pci, distances: distances(topology, named: ["NVLinkBandwidth", "XGMIBandwidth"]),
            machineInfos: infos(root), cpuModel: packages.lazy.compactMap { infos($0)["CPUModel"] }.first)
    }

    private static func pciDevice(_ topology: hwloc_topology_t, _ obj: hwloc_obj_t) -> HwlocSnapshot.PCIDevice {
        let a = obj.pointee.attr.pointee.pcidev
        let busId = pciBusIdString(domain: UInt32(a.domain), bus: a.bus, dev: a.dev, fn: a.func)
        var ancestors: [HwlocSnapshot.Ancestor] = []
        var parent = obj.pointee.parent
        while let p = parent, p.pointee.type == HWLOC_OBJ_BRIDGE || p.pointee.type == HWLOC_OBJ_PCI_DEVICE {
            let isPCIBridge =
                p.pointee.type == HWLOC_OBJ_BRIDGE
                && p.pointee.attr.pointee.bridge.upstream_type == HWLOC_OBJ_BRIDGE_PCI
            let pci =
                isPCIBridge
                ? p.pointee.attr.pointee.bridge.upstream.pci
                : p.pointee.type == HWLOC_OBJ_PCI_DEVICE ? p.pointee.attr.pointee.pcidev : nil
            let ancestorBus = pci.map {
                pciBusIdString(domain: UInt32($0.domain), bus: $0.bus, dev: $0.dev, fn: $0.func)
            }
            ancestors.append(.init(id: p.pointee.gp_index, isPCIBridge: isPCIBridge, busId: ancestorBus))
            parent = p.pointee.parent
        }
        // I/O objects have no cpuset or nodeset: locality is that of the first normal ancestor.
        let local = hwloc_get_non_io_ancestor_obj(topology, obj)
        var osDevices: [HwlocSnapshot.OSDevice] = []
        var child = obj.pointee.io_first_child
        while let c = child {
            if c.pointee.type == HWLOC_OBJ_OS_DEVICE {
                osDevices.append(
                    .init(
                        name: c.pointee.name.map { String(cString: $0) } ?? "",
                        kind: osDeviceKind(c.pointee.attr.pointee.osdev.type),
                        subtype: c.pointee.subtype.map { String(cString: $0) }, infos: infos(c)))
            }
            child = c.pointee.next_sibling
        }
        return HwlocSnapshot.PCIDevice(
            id: obj.pointee.gp_index, busId: busId, vendorId: a.vendor_id, deviceId: a.device_id,
            classId: a.class_id, subtype: obj.pointee.subtype.map { String(cString: $0) },
            linkGBps: a.linkspeed > 0 ? Double(a.linkspeed) : nil,
            numa: local.map { bits($0.pointee.nodeset) } ?? [], ancestors: ancestors, infos: infos(obj),
            osDevices: osDevices)
    }

    private static func distances(_ topology: hwloc_topology_t, named names: [String]) -> [HwlocSnapshot.Distances] {
        var out: [HwlocSnapshot.Distances] = []
        for name in names {
            var count: UInt32 = 0
            guard hwloc_distances_get_by_name(topology, name, &count, nil, 0) == 0, count > 0 else { continue }
            var matrices = [UnsafeMutablePointer<hwloc_distances_s>?](repeating: nil, count: Int(count))
            guard hwloc_distances_get_by_name(topology, name, &count, &matrices, 0) == 0 else { continue }
            for case let m? in matrices.prefix(Int(count)) {
                let n = Int(m.pointee.nbobjs)
                let objects: [UInt64?] = (0..<n).map { i in
                    var o = m.pointee.objs[i]
                    // NVML and RSMI OS devices stand for their PCI function; climb to it.
                    while let x = o, x.pointee.type == HWLOC_OBJ_OS_DEVICE { o = x.pointee.parent }
                    guard let x = o, x.pointee.type == HWLOC_OBJ_PCI_DEVICE else { return nil }
                    return x.pointee.gp_index
                }
                out.append(.init(name: name, objects: objects, values: (0..<n * n).map { m.pointee.values[$0] }))
                hwloc_distances_release(topology, m)
            }
        }
        return out
    }

    private static func osDeviceKind(_ t: hwloc_obj_osdev_type_t) -> HwlocSnapshot.OSDevice.Kind {
        switch t {
        case HWLOC_OBJ_OSDEV_BLOCK: .block
        case HWLOC_OBJ_OSDEV_GPU: .gpu
        case HWLOC_OBJ_OSDEV_NETWORK: .network
        case HWLOC_OBJ_OSDEV_OPENFABRICS: .openFabrics
        case HWLOC_OBJ_OSDEV_DMA: .dma
        case HWLOC_OBJ_OSDEV_COPROC: .coprocessor
        default: .unknown
        }
    }

    private static func osIndex(_ obj: hwloc_obj_t) -> Int? {
        obj.pointee.os_index == UInt32.max ? nil : Int(obj.pointee.os_index)
    }

    private static func infos(_ obj: hwloc_obj_t) -> [String: String] {
        var out: [String: String] = [:]
        for i in 0..<Int(obj.pointee.infos_count) {
            let info = obj.pointee.infos[i]
            guard let name = info.name, let value = info.value else { continue }
            out[String(cString: name)] = String(cString: value)
        }
        return out
    }

    /// The set bits of an hwloc bitmap, ascending (hwloc's foreach macros do not import).
    private static func bits(_ bitmap: hwloc_const_bitmap_t?) -> [Int] {
        guard let bitmap, hwloc_bitmap_weight(bitmap) >= 0 else { return [] }
        var out: [Int] = []
        var i = hwloc_bitmap_first(bitmap)
        while i >= 0 {
            out.append(Int(i))
            i = hwloc_bitmap_next(bitmap, i)
        }
        return out
    }
}

/// "dddd:bb:dd.f", the form lspci, nvidia-smi and cluster.yaml use.
/// The canonical spelling `PCIBusId.normalized` produces (lowercase, four-digit domain), built from hwloc's numbers.
private func pciBusIdString(domain: UInt32, bus: UInt8, dev: UInt8, fn: UInt8) -> String {
    func hex(_ v: UInt32, _ width: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    return "\(hex(domain, 4)):\(hex(UInt32(bus), 2)):\(hex(UInt32(dev), 2)).\(hex(UInt32(fn), 1))"
}
