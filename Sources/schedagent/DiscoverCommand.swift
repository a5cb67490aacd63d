import Agent
import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// `schedagent discover`: what hwloc sees, for people or as JSON, optionally checked against cluster.yaml.
struct DiscoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "Show the node's topology (GPUs, NUMA, cores, NICs), or check it against cluster.yaml.",
        discussion: """
            Exit status with --check: 0 when the node matches its declared type, 1 when it does not, 2 when \
            it could not be checked (discovery failed, cluster.yaml unreadable, unknown node).
            """)

    @Option(name: .long, help: "Read an hwloc XML export instead of this machine.")
    var topology: String?

    @Flag(name: .long, help: "Print JSON (the contract in docs/agent.md); with --check, the differences.")
    var json = false

    @Option(name: .long, help: "Compare with the node type cluster.yaml declares for --node.")
    var check: String?

    @Option(name: .long, help: "The node's name in cluster.yaml (with --check).")
    var node: String?

    func validate() throws {
        if check != nil && node == nil { throw ValidationError("--check needs --node NAME") }
        if node != nil && check == nil { throw ValidationError("--node is used with --check cluster.yaml") }
    }

    func run() throws {
        /// With --check, "could not check" (2) must differ from "does not match" (1).
        func failure(_ message: String) -> any Error {
            guard check != nil else { return CLIError(message) }
            FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
            return ExitCode(2)
        }
        let found: DiscoveredNode
        do {
            found = try DiscoveredNode.discover(topology.map { .xml(path: $0) } ?? .live)
        } catch {
            throw failure("discovery failed: \(error)")
        }
        guard let check, let node else {
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(found), as: UTF8.self))
            } else {
                print(found.report())
            }
            return
        }
        let spec: ClusterSpec
        do { spec = try ClusterSpec.load(file: check) } catch { throw failure(error.description) }
        guard let entry = spec.nodes.first(where: { $0.name == node }) else {
            let names = spec.nodes.map(\.name).joined(separator: ", ")
            throw failure("node '\(node)' is not in \(check) (its nodes: \(names))")
        }
        let declared = spec.nodeType(of: entry)
        let differences = NodeCheck.compare(found, with: declared)
        let mismatches = differences.filter { $0.severity == .mismatch }.count
        if json {
            struct Report: Encodable {
                var node: String
                var nodeType: String
                var matches: Bool
                var differences: [NodeDifference]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let report = Report(node: node, nodeType: declared.name, matches: mismatches == 0, differences: differences)
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            if mismatches > 0 { throw ExitCode(1) }
            return
        }
        for d in differences { print(d) }
        if mismatches == 0 {
            print("\(node) matches node type \(declared.name)")
        } else {
            print("\(node) does not match node type \(declared.name): \(mismatches) difference(s)")
            throw ExitCode(1)
        }
    }
}
