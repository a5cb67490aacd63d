import Scheduler

extension DiscoveredNode {
    /// A few lines for people: sockets and cores, NUMA memory, GPUs with their NUMA and NICs, NICs.
    public func report() -> String {
        var lines: [String] = []
        lines.append(
            "\(product ?? "node"): \(sockets) sockets, \(cores) cores, \(pus) logical CPUs (\(threadsPerCore)/core)"
                + (cpuModel.map { ", \($0)" } ?? ""))
        for n in numaNodes {
            lines.append(
                "NUMA \(n.index): \(ByteSize(bytes: n.memoryBytes)), CPUs \(NodeCheck.ranges(n.cpus))"
                    + (n.socket.map { ", socket \($0)" } ?? ""))
        }
        for g in gpus {
            let memory = g.memoryBytes.map { ", \(ByteSize(bytes: $0))" } ?? ""
            let nics = g.nics.isEmpty ? "" : ", NICs \(g.nics.joined(separator: " "))"
            // ROCm SMI's names come clipped from some exports ("deon Instinct MI50 32GB"): AMD's by model.
            let name = g.vendor == .amd ? "AMD \(g.model)" : g.modelName ?? g.model
            lines.append(
                "GPU \(g.index): \(g.pciBusId) \(name)\(memory), NUMA \(g.numa.map(String.init) ?? "?")" + nics)
        }
        if gpus.isEmpty { lines.append("GPUs: none") }
        if nvswitches > 0 { lines.append("NVSwitches: \(nvswitches)") }
        if let x = xgmi {
            let pairs = x.gpuToGPU.enumerated().flatMap { i, row in
                row.enumerated().filter { $0.offset > i && $0.element > 0 }
            }
            if !pairs.isEmpty { lines.append("XGMI: \(pairs.count) GPU pairs linked") }
        }
        for n in nics {
            let netdev = n.netdev.map { " (\($0))" } ?? ""
            lines.append(
                "NIC \(n.name)\(netdev): \(n.kind.rawValue), \(n.pciBusId), NUMA \(n.numa.map(String.init) ?? "?"), \(n.state)"
            )
        }
        return lines.joined(separator: "\n")
    }
}
