import ArgumentParser
import Foundation
import Scheduler

struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Read the cluster description.", subcommands: [Show.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show nodes, GPUs, NUMA domains, storage, partitions, accounts and totals.")

        @OptionGroup var options: ClusterOption
        @Flag(help: "Machine-readable output.") var json = false

        func run() throws {
            let spec = try options.load()
            if json {
                try printJSON(ClusterSummary(spec))
            } else {
                print(ClusterSummary(spec).text(spec))
            }
        }
    }
}

/// The cluster as `schedctl cluster show --json` prints it (contract in docs/cluster-yaml.md).
struct ClusterSummary: Encodable {
    struct Totals: Encodable {
        var nodes: Int
        var gpus: Int
        var gpusByModel: [String: Int]
        var cores: Int
        var cpus: Int
        var memoryBytes: UInt64
        var scratchBytes: UInt64
        var sharedStorageBytes: UInt64
    }
    struct NodeRow: Encodable {
        var name: String
        var type: String
        var fabricSwitch: String
        var nvlinkDomain: String?
        /// Its type's features and its own (what `--constraint` selects by).
        var features: [String]
    }
    var name: String
    var totals: Totals
    var nodeTypes: [NodeType]
    var nodes: [NodeRow]
    var switches: [FabricSwitch]
    var partitions: [Partition]
    var accounts: [Account]
    var gpuModels: [GPUModel]

    init(_ spec: ClusterSpec) {
        name = spec.name
        let types = spec.nodes.map { spec.nodeType(of: $0) }
        totals = Totals(
            nodes: spec.nodes.count, gpus: spec.totalGPUs, gpusByModel: spec.gpusByModel,
            cores: types.reduce(0) { $0 + $1.cores }, cpus: types.reduce(0) { $0 + $1.cpus },
            memoryBytes: types.reduce(0) { $0 + $1.memory.bytes },
            scratchBytes: types.reduce(0) { $0 + $1.scratch.bytes },
            sharedStorageBytes: spec.sharedStorage.bytes)
        nodeTypes = spec.nodeTypes
        nodes = spec.nodes.map {
            NodeRow(
                name: $0.name, type: $0.type, fabricSwitch: $0.fabricSwitch, nvlinkDomain: $0.nvlinkDomain,
                features: $0.features)
        }
        switches = spec.switches
        partitions = spec.partitions
        accounts = spec.accounts
        gpuModels = spec.gpuModels
    }

    func text(_ spec: ClusterSpec) -> String {
        var out: [String] = []
        out.append("Cluster \(name)")
        let models = totals.gpusByModel.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }.joined(
            separator: ", ")
        out.append(
            "  \(totals.nodes) nodes, \(totals.gpus) GPUs (\(models.isEmpty ? "none" : models)), \(totals.cores) cores / \(totals.cpus) CPUs, "
                + "\(ByteSize(bytes: totals.memoryBytes)) memory, \(ByteSize(bytes: totals.scratchBytes)) local scratch, "
                + "\(ByteSize(bytes: totals.sharedStorageBytes)) shared storage")
        out.append("")
        var nodesTable = Table("NODE", "TYPE", "GPUS", "CORES", "CPUS", "MEMORY", "SCRATCH", "SWITCH")
        for n in spec.nodes {
            let t = spec.nodeType(of: n)
            nodesTable.add([
                n.name, t.name, t.gpus.isEmpty ? "-" : "\(t.gpus.count) × \(t.gpuModel ?? "mixed")", "\(t.cores)",
                "\(t.cpus)",
                "\(t.memory)", "\(t.scratch)", n.fabricSwitch + (n.nvlinkDomain.map { " (NVLink \($0))" } ?? ""),
            ])
        }
        out.append(nodesTable.render())
        for t in spec.nodeTypes {
            out.append("")
            out.append("Node type \(t.name): \(t.description)")
            out.append(
                "  \(t.sockets) sockets × \(t.coresPerSocket) cores × \(t.threadsPerCore) threads, \(t.memory), GPUs \(t.interconnect.rawValue), scratch \(t.scratch)"
            )
            var numa = Table("NUMA", "SOCKET", "CORES", "MEMORY", "GPUS")
            for d in t.numa {
                numa.add(["\(d.index)", "\(d.socket)", compactRanges(d.cores), "\(d.memory)", compactRanges(d.gpus)])
            }
            out.append(numa.render().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            if !t.gpus.isEmpty {
                var gpus = Table("GPU", "MODEL", "MEMORY", "NUMA", "NIC", "PCI")
                for g in t.gpus {
                    gpus.add(["\(g.index)", g.model, "\(g.memory)", "\(g.numa)", g.nic ?? "-", g.pciBusId ?? "-"])
                }
                out.append(gpus.render().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            }
            if !t.nics.isEmpty {
                var nics = Table("NIC", "KIND", "SPEED", "NUMA", "ROLE")
                for n in t.nics {
                    nics.add([n.name, n.kind.rawValue, n.speedGbps.map { "\($0) Gb/s" } ?? "-", "\(n.numa)", n.role])
                }
                out.append(nics.render().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            }
        }
        out.append("")
        out.append("Storage: \(ByteSize(bytes: totals.sharedStorageBytes)) shared")
        out.append("")
        var parts = Table(
            "PARTITION", "DEFAULT", "NODES", "MAX TIME", "DEFAULT TIME", "CORES/GPU", "MEMORY/GPU", "ACCOUNTS")
        for p in partitions {
            parts.add([
                p.name, p.isDefault ? "yes" : "no", "\(p.nodes.count)", "\(p.maxTime)", "\(p.defaultTime)",
                "\(p.coresPerGPU)",
                "\(p.memoryPerGPU)", p.accounts.isEmpty ? "all" : p.accounts.joined(separator: ","),
            ])
        }
        out.append(parts.render())
        if !accounts.isEmpty {
            out.append("")
            let totalShare = accounts.reduce(0) { $0 + $1.share }
            var acc = Table("ACCOUNT", "SHARE", "PARENT", "DESCRIPTION")
            for a in accounts {
                acc.add([a.name, String(format: "%.0f%%", a.share / totalShare * 100), a.parent ?? "-", a.description])
            }
            out.append(acc.render())
        }
        return out.joined(separator: "\n")
    }
}
