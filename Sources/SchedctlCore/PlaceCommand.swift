import ArgumentParser
import Foundation
import Scheduler

struct PlaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "place",
        abstract: "Place a list of requests offline and show where each lands, or why not.",
        discussion: """
            The jobs file (YAML or JSON) is an ordered list of steps: a request with an id and the request \
            fields (gpus or gpuMemory, gpuModel, minGpuMemory, cpus, memory, scratch, storage, nodes, \
            gpusPerNode, exclusive, sameNuma, partition, account, time), {release: [ids]}, or \
            {drain: [nodes]} / {down: [nodes]} / {resume: [nodes]}. See docs/placement.md.
            """)

    @OptionGroup var options: ClusterOption
    @Option(help: "The jobs file.") var jobs: String
    @Option(
        help:
            "Placement policy: \(PlacementPolicyName.allCases.map(\.rawValue).joined(separator: ", ")) (default: cluster.yaml's)."
    )
    var policy: String?
    @Flag(help: "Machine-readable output.") var json = false

    func run() throws {
        let spec = try options.load()
        var chosen: PlacementPolicyName?
        if let policy {
            guard let p = PlacementPolicyName(rawValue: policy) else {
                throw CLIError(
                    "unknown policy '\(policy)' (\(PlacementPolicyName.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            chosen = p
        }
        let text: String
        do {
            text = try String(contentsOfFile: jobs, encoding: .utf8)
        } catch {
            throw CLIError("\(jobs): cannot read the file")
        }
        let script: PlacementScript
        do {
            script = try PlacementScript.parse(text, file: jobs, cluster: spec)
        } catch {
            throw CLIError(error.description)
        }
        var state = ClusterState(spec: spec, policy: chosen)
        let report = script.run(on: &state)
        if json {
            try printJSON(report)
        } else {
            print(Self.text(report))
        }
    }

    static func text(_ report: PlacementReport) -> String {
        var table = Table("ID", "RESULT", "NODE", "GPUS", "CORES", "NUMA", "NICS")
        for r in report.results {
            if r.placed {
                for (i, n) in r.nodes.enumerated() {
                    table.add([
                        i == 0 ? r.id : "", i == 0 ? (r.shape ?? "placed") : "", n.node, compactRanges(n.gpus),
                        compactRanges(n.cores),
                        compactRanges(n.numa), n.nics.isEmpty ? "-" : n.nics.joined(separator: ","),
                    ])
                }
            } else {
                table.add([r.id, "refused", "-", "-", "-", "-", "-"])
            }
        }
        var out = [table.render()]
        let refused = report.results.filter { !$0.placed }
        if !refused.isEmpty {
            out.append("")
            for r in refused { out.append("\(r.id): \(r.reason ?? "not placed")") }
        }
        for w in report.warnings { out.append("warning: \(w)") }
        let f = report.freeShapes
        out.append("")
        out.append("Policy \(report.policy). Free: \(f.freeGPUs) of \(f.totalGPUs) GPUs.")
        let fits = f.fits.keys.sorted().map { "\(f.fits[$0]!) × \($0)-GPU" }.joined(separator: ", ")
        out.append("Still fits: \(fits), \(f.wholeNodes) whole node\(f.wholeNodes == 1 ? "" : "s").")
        out.append(
            String(format: "Fragmentation: %.2f GPUs (%.1f%% of free GPUs).", f.fragmentedGPUs, f.fragmentation * 100))
        return out.joined(separator: "\n")
    }
}
