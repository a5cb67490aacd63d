import Scheduler

/// Compares what discovery found with the node type cluster.yaml declares, difference by difference.
public enum NodeCheck {
    /// Every difference; empty when the node is what it should be. Only `.mismatch` entries make it unfit.
    public static func compare(
        _ found: DiscoveredNode, with declared: NodeType, tolerance: MemoryTolerance = .standard
    ) -> [NodeDifference] {
        var out: [NodeDifference] = []
        let node = found.nodeType()
        if node.sockets != declared.sockets {
            out.append(
                .init(
                    .mismatch, "Sockets", "\(node.sockets) found, \(declared.sockets) declared",
                    hint: "a CPU package offline or not seen by the kernel?"))
        }
        if found.cores != declared.cores {
            out.append(
                .init(
                    .mismatch, "Cores", "\(found.cores) found, \(declared.cores) declared",
                    hint: "cores disabled in the BIOS or by a kernel parameter (maxcpus=)?"))
        }
        if node.threadsPerCore != declared.threadsPerCore {
            out.append(
                .init(
                    .mismatch, "Threads per core", "\(node.threadsPerCore) found, \(declared.threadsPerCore) declared",
                    hint: "Hyper-Threading/SMT switched off in the BIOS or with the nosmt kernel parameter?"))
        }
        out += compareNUMA(node.numa, declared.numa, tolerance: tolerance)
        out += compareGPUs(found, node, declared, tolerance: tolerance)
        out += compareNICs(found, declared)
        return out
    }

    private static func compareNUMA(_ found: [NUMADomain], _ declared: [NUMADomain], tolerance: MemoryTolerance)
        -> [NodeDifference]
    {
        guard found.count == declared.count else {
            let hint =
                found.count > declared.count
                ? "sub-NUMA clustering (SNC/NPS) enabled in the BIOS?"
                : "sub-NUMA clustering off, or memory missing on a socket?"
            return [.init(.mismatch, "NUMA domains", "\(found.count) found, \(declared.count) declared", hint: hint)]
        }
        var out: [NodeDifference] = []
        for (f, d) in zip(found, declared) {
            let low = Double(d.memory.bytes) * (1 - tolerance.numaBelow)
            let high = Double(d.memory.bytes) * (1 + tolerance.numaAbove)
            if Double(f.memory.bytes) < low || Double(f.memory.bytes) > high {
                out.append(
                    .init(
                        .mismatch, "NUMA \(d.index)", "\(d.memory) declared, \(f.memory) found",
                        hint: f.memory < d.memory
                            ? "a DIMM missing or failed? compare `dmidecode -t memory` and the EDAC counters"
                            : "more memory than declared: update cluster.yaml"))
            }
            if f.cores != d.cores {
                out.append(
                    .init(
                        .mismatch, "NUMA \(d.index)", "cores \(ranges(d.cores)) declared, \(ranges(f.cores)) found",
                        hint: "core numbering or sub-NUMA layout differs from cluster.yaml"))
            }
            if f.socket != d.socket {
                out.append(.init(.mismatch, "NUMA \(d.index)", "on socket \(f.socket), declared on socket \(d.socket)"))
            }
        }
        return out
    }

    private static func compareGPUs(
        _ found: DiscoveredNode, _ node: NodeType, _ declared: NodeType, tolerance: MemoryTolerance
    ) -> [NodeDifference] {
        var out: [NodeDifference] = []
        if node.gpus.count != declared.gpus.count {
            let hint =
                if node.gpus.isEmpty {
                    "hwloc saw no NVIDIA or AMD GPU on the PCI bus; is the PCI backend enabled (HWLOC_COMPONENTS)?"
                } else if node.gpus.count > declared.gpus.count {
                    "more GPUs than declared: another node type, or cluster.yaml undercounts"
                } else {
                    "a GPU fallen off the bus? look for Xid 79 in `dmesg` and compare `lspci -d 10de:`"
                }
            out.append(
                .init(.mismatch, "GPUs", "\(node.gpus.count) found, \(declared.gpus.count) declared", hint: hint))
        }
        let foundByBus = Dictionary(
            node.gpus.compactMap { g in g.pciBusId.map { (PCIBusId.normalized($0) ?? $0.lowercased(), g) } },
            uniquingKeysWith: { a, _ in a })
        for d in declared.gpus {
            // Match by PCI bus id when declared (a missing GPU renumbers the ones after it), else by index.
            let f: GPUSlot?
            if let bus = d.pciBusId.map({ PCIBusId.normalized($0) ?? $0.lowercased() }) {
                f = foundByBus[bus]
                if f == nil, !node.gpus.isEmpty {
                    out.append(
                        .init(
                            .mismatch, "GPU \(d.index) (\(bus))", "declared, not found",
                            hint: "not on the PCI bus: reseat, or check `dmesg` for Xid 79 / AER errors"))
                }
            } else {
                f = d.index < node.gpus.count ? node.gpus[d.index] : nil
            }
            guard let f else { continue }
            let subject = "GPU \(d.index)" + (d.pciBusId.map { " (\($0))" } ?? "")
            if f.model.caseInsensitiveCompare(d.model) != .orderedSame {
                let name = found.gpus.first { $0.pciBusId == f.pciBusId }?.modelName.map { " (\($0))" } ?? ""
                out.append(.init(.mismatch, subject, "model \(f.model)\(name) found, \(d.model) declared"))
            } else if f.memory.bytes > 0,
                abs(Double(f.memory.bytes) - Double(d.memory.bytes)) > Double(d.memory.bytes) * tolerance.gpu
            {
                out.append(
                    .init(
                        .mismatch, subject, "\(d.memory) declared, \(f.memory) found",
                        hint: "MIG mode or a different memory variant of the model?"))
            }
            if found.gpus.first(where: { $0.pciBusId == f.pciBusId })?.numa == nil {
                // The engine's type has no "unknown" NUMA (it would read 0): say so rather than compare.
                out.append(
                    .init(
                        .mismatch, subject, "NUMA locality unknown, declared on NUMA \(d.numa)",
                        hint:
                            "hwloc found no NUMA node above the GPU: firmware without SRAT/_PXM for its root port, or a VM?"
                    ))
            } else if f.numa != d.numa {
                out.append(
                    .init(
                        .mismatch, subject, "on NUMA \(f.numa), declared on NUMA \(d.numa)",
                        hint: "the GPU's PCIe root is on another socket than cluster.yaml says"))
            }
            if f.index != d.index {
                out.append(
                    .init(
                        .mismatch, subject, "is CUDA device \(f.index), declared as \(d.index)",
                        hint:
                            "GPUs are numbered by PCI bus id; an earlier GPU is missing or the order in cluster.yaml is wrong"
                    ))
            }
            if let nic = d.nic {
                let near = found.gpus.first { $0.pciBusId == f.pciBusId }?.nics ?? []
                if !near.contains(nic) {
                    out.append(
                        .init(
                            .mismatch, subject,
                            "\(nic) declared behind its PCIe switch, found "
                                + (near.isEmpty ? "none" : near.joined(separator: ", ")),
                            hint: "NICs renamed (check udev rules), or the HCA is in another slot"))
                }
            }
        }
        if declared.interconnect == .nvswitch, found.nvswitches == 0, !node.gpus.isEmpty {
            out.append(
                .init(
                    .mismatch, "NVSwitch", "none found, declared interconnect nvswitch",
                    hint: "hwloc lists NVSwitches as PCI devices (10de, class 0680); hidden by a filter or a VM?"))
        }
        return out
    }

    private static func compareNICs(_ found: DiscoveredNode, _ declared: NodeType) -> [NodeDifference] {
        var out: [NodeDifference] = []
        let numaPosition = Dictionary(
            found.numaNodes.enumerated().map { ($0.element.index, $0.offset) },
            uniquingKeysWith: { a, _ in a })
        let byName = Dictionary(found.nics.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for d in declared.nics {
            // Multi-port NICs are declared as "mlx5_0:1", "mlx5_0:2": ports of one RDMA device.
            let parts = d.name.split(separator: ":")
            let base = String(parts[0])
            let port = parts.count > 1 ? Int(parts[1]) : nil
            let subject = "NIC \(d.name)"
            guard let f = byName[base] else {
                out.append(
                    .init(
                        .mismatch, subject, "declared (\(d.kind.rawValue), \(d.role)), not found",
                        hint: "RDMA driver not loaded (hwloc reads /sys/class/infiniband), or the device was renamed?"))
                continue
            }
            let storage = d.role != "compute"
            if f.kind != d.kind {
                out.append(
                    .init(
                        storage ? .warning : .mismatch, subject,
                        "\(d.kind.rawValue) declared, \(f.kind.rawValue) found",
                        hint:
                            "the port's link layer is set in firmware (mlxconfig LINK_TYPE_P1); fix it or cluster.yaml")
                )
            }
            if let numa = f.numa.flatMap({ numaPosition[$0] }), numa != d.numa {
                out.append(.init(.mismatch, subject, "on NUMA \(numa), declared on NUMA \(d.numa)"))
            }
            let state = port.flatMap { p in f.ports.first { $0.number == p }?.state } ?? f.state
            if state != "active" && state != "unknown" {
                out.append(
                    .init(
                        storage ? .warning : .mismatch, subject, "port \(state)",
                        hint: "cable, transceiver or switch port; `ibstat \(base)` shows the physical state"))
            }
            if let want = d.speedGbps, let have = f.speedGbps, want != have {
                out.append(.init(.mismatch, subject, "\(want) Gb/s declared, \(have) Gb/s found"))
            }
        }
        return out
    }

    /// "0-55" for contiguous ids, "0-3,8" otherwise.
    public static func ranges(_ ids: [Int]) -> String { ids.isEmpty ? "none" : RangeList.compact(ids) }
}
