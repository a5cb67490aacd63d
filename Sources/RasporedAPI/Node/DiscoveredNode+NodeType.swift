import Scheduler

extension DiscoveredNode {
    /// The engine's view. NUMA domains are numbered 0, 1, ... in OS-index order (the engine indexes
    /// arrays with them), cores by hwloc's logical index, GPUs by PCI bus id. Scratch space and NIC speed
    /// are not visible to hwloc: scratch is zero and speeds are nil.
    func makeNodeType(named name: String) -> NodeType {
        let numaPosition = Dictionary(
            numaNodes.enumerated().map { ($0.element.index, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let domains = numaNodes.enumerated().map { position, node in
            let cpus = Set(node.cpus)
            return NUMADomain(
                index: position, socket: node.socket ?? 0,
                cores: coreList.filter { $0.cpus.first.map(cpus.contains) ?? false }.map(\.index),
                memory: ByteSize(bytes: node.memoryBytes),
                gpus: gpus.filter { $0.numa == node.index }.map(\.index))
        }
        let slots = gpus.map { g in
            GPUSlot(
                index: g.index, model: g.model, memory: ByteSize(bytes: g.memoryBytes ?? 0),
                numa: g.numa.flatMap { numaPosition[$0] } ?? 0, nic: g.nics.first, pciBusId: g.pciBusId)
        }
        let computeNICs = Set(gpus.flatMap(\.nics))
        let nicSlots = nics.filter(\.rdma).map { n in
            NICSlot(
                name: n.name, kind: n.kind, speedGbps: n.speedGbps, numa: n.numa.flatMap { numaPosition[$0] } ?? 0,
                role: computeNICs.contains(n.name) ? "compute" : "storage")
        }
        let interconnect: GPUInterconnect =
            nvswitches > 0 ? .nvswitch : (nvlink?.gpuToGPU.joined().contains { $0 > 0 } ?? false) ? .nvlinkPairs : .pcie
        return NodeType(
            name: name, description: [product, cpuModel].compactMap { $0 }.joined(separator: ", "),
            sockets: sockets, coresPerSocket: sockets > 0 ? cores / sockets : cores, threadsPerCore: threadsPerCore,
            numa: domains, gpus: slots, nics: nicSlots, interconnect: interconnect, scratch: .zero)
    }
}
