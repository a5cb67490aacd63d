import RasporedAPI
import Scheduler

/// An allocation for people: one row per node with its GPUs, cores, NUMA domains, memory and NICs.
enum AllocationText {
    static func table(_ a: AllocationView, indent: String = "  ") -> String {
        var t = Table("NODE", "GPUS", "CORES", "NUMA", "MEMORY", "NICS")
        for n in a.nodes {
            let memory = n.memoryBytes.values.reduce(0, +)
            t.add([
                n.node, compactRanges(n.gpus), compactRanges(n.cores), compactRanges(n.numa),
                memory == 0 ? "-" : "\(ByteSize(bytes: memory))", n.nics.isEmpty ? "-" : n.nics.joined(separator: ","),
            ])
        }
        var lines = t.render().split(separator: "\n").map { indent + $0 }
        var extra: [String] = []
        if let model = a.gpuModel { extra.append("GPU model \(model)") }
        if a.sharedStorageBytes > 0 { extra.append("shared storage \(ByteSize(bytes: a.sharedStorageBytes))") }
        if !extra.isEmpty { lines.append(indent + extra.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }

    /// "dgx01:0-3 dgx02:0-7"
    static func short(_ a: AllocationView) -> String {
        a.nodes.map { "\($0.node):\(compactRanges($0.gpus))" }.joined(separator: " ")
    }

    static func gpuCount(_ a: AllocationView) -> Int { a.nodes.reduce(0) { $0 + $1.gpus.count } }
}
