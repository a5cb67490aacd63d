import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// `schedctl nodes [NAME]`: node states, GPUs per NUMA domain, free shapes, drain reasons, heartbeats.
struct NodesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodes", abstract: "List nodes, or show one: state, GPUs per NUMA domain, free shapes, reason.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "One node's name.") var name: String?
    @Flag(help: "Print the API's JSON.") var json = false

    func run() async throws {
        let client = try connection.client()
        if let name {
            let node: NodeView = try await client.get("/v1/nodes/\(pathSegment(name))")
            if json { try printJSON(node) } else { print(Self.detail(node)) }
        } else {
            let list: NodeList = try await client.get("/v1/nodes")
            if json { try printJSON(list) } else { print(Self.table(list.nodes)) }
        }
    }

    /// "0:4/0 1:1/3": per NUMA domain, GPUs used/free.
    static func gpus(_ n: NodeView) -> String {
        n.gpus.isEmpty ? "-" : n.gpus.map { "\($0.numa):\($0.used)/\($0.free)" }.joined(separator: " ")
    }

    /// "1:3 2:1 4:0 8:0": how many more jobs of each size fit.
    static func shapes(_ n: NodeView) -> String {
        let keys = n.freeShapes.keys.sorted { (Int($0) ?? 0, $0) < (Int($1) ?? 0, $1) }
        return keys.isEmpty ? "-" : keys.map { "\($0):\(n.freeShapes[$0]!)" }.joined(separator: " ")
    }

    /// The state, or `reserved` for an up node in a reservation's window.
    static func state(_ n: NodeView) -> String {
        n.state == .up && n.reservation != nil ? "reserved" : n.state.rawValue
    }

    /// "GPU 3 ECC errors (admin, 2025-03-14 09:26:53)", or the reservation holding an up node.
    static func reason(_ n: NodeView) -> String {
        if n.state == .up, n.reason == nil, let r = n.reservation { return "reservation \(r)" }
        guard n.state != .up || n.reason != nil else { return "" }
        var who: [String] = []
        if let a = n.actor { who.append(a) }
        if let s = n.since { who.append(localTime(s)) }
        let text = TerminalText.escaped(n.reason ?? "-")
        return who.isEmpty ? text : "\(text) (\(who.joined(separator: ", ")))"
    }

    static func heartbeat(_ n: NodeView) -> String {
        n.lastHeartbeatAge.map { "\(humanDuration(Int64($0.rounded()))) ago" } ?? "never"
    }

    static func table(_ nodes: [NodeView]) -> String {
        var t = Table("NODE", "STATE", "GPUS USED/FREE", "FREE SHAPES", "JOBS", "HEARTBEAT", "REASON")
        for n in nodes {
            t.add([n.name, state(n), gpus(n), shapes(n), "\(n.jobs)", heartbeat(n), reason(n)])
        }
        return t.render()
    }

    static func detail(_ n: NodeView) -> String {
        var lines: [(String, String)] = [
            ("Node", n.name), ("Type", n.type), ("State", state(n)),
        ]
        if n.reason != nil || n.actor != nil { lines.append(("Reason", reason(n))) }
        if let r = n.reservation { lines.append(("Reservation", "\(r) (active now)")) }
        lines.append(("Jobs", "\(n.jobs)"))
        lines.append(
            ("GPUs used/free", n.gpus.map { "NUMA \($0.numa): \($0.used)/\($0.free)" }.joined(separator: ", ")))
        lines.append(("Free shapes", shapes(n) + " (GPUs per job: how many more fit)"))
        lines.append(("Heartbeat", heartbeat(n)))
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { $0.0 + ":" + String(repeating: " ", count: width - $0.0.count + 1) + $0.1 }
            .joined(separator: "\n")
    }
}

/// `schedctl drain NODE --reason TEXT` (admins).
struct DrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain", abstract: "Drain a node: it runs its jobs to the end and takes no new ones (admins).")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The node.") var node: String
    @Option(help: "Why, for whoever looks next (\"GPU 3 ECC errors, ticket 4411\").") var reason: String
    @Flag(help: "Print the API's JSON.") var json = false

    func validate() throws {
        if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must say why") }
    }

    func run() async throws {
        let view: NodeView = try await connection.client().post(
            "/v1/nodes/\(pathSegment(node))/drain", body: DrainRequest(reason: reason))
        if json {
            try printJSON(view)
        } else {
            print("\(view.name): \(view.state.rawValue) — \(NodesCommand.reason(view))")
        }
    }
}

/// `schedctl resume NODE` (admins).
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Put a drained or down node back in service (admins).")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The node.") var node: String
    @Flag(help: "Print the API's JSON.") var json = false

    func run() async throws {
        let view: NodeView = try await connection.client().post("/v1/nodes/\(pathSegment(node))/resume")
        if json { try printJSON(view) } else { print("\(view.name): \(view.state.rawValue)") }
    }
}
