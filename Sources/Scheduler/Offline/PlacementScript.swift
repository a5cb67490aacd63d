import Foundation

/// An ordered list of placement, release and node steps, as `schedctl place --jobs FILE` reads it.
///
/// ```yaml
/// - { id: train, gpus: 4 }
/// - { id: big, gpuMemory: 600GB, gpuModel: H200 }
/// - { release: [train] }
/// - { drain: [dgx02] }
/// ```
public struct PlacementScript: Sendable {
    public enum Step: Sendable {
        case place(id: String, request: ResourceRequest, line: Int?)
        case release(ids: [String])
        case setAvailability(nodes: [Int], NodeAvailability)
    }

    public var steps: [Step]

    /// Reads a jobs file; `file` names it in errors.
    public static func parse(_ text: String, file: String?, cluster: ClusterSpec) throws(ConfigError) -> PlacementScript
    {
        let root = try ConfigNode.parse(text, file: file)
        let list = root.isMapping ? try root.required("steps") : root
        var steps: [Step] = []
        var declared = Set<String>()
        for e in try list.elements() {
            if try e.optional("release") != nil {
                try e.onlyKeys(["release"])
                let ids = try e.required("release").stringList()
                for id in ids where !declared.contains(id) {
                    throw try e.required("release").error("release of '\(id)', which no earlier step places")
                }
                steps.append(.release(ids: ids))
                continue
            }
            var handled = false
            for (key, availability) in [("drain", NodeAvailability.drain), ("down", .down), ("resume", .up)] {
                guard let v = try e.optional(key) else { continue }
                try e.onlyKeys([key])
                var nodes: [Int] = []
                for name in try v.stringList().flatMap({ RangeList.expandHosts($0) ?? [$0] }) {
                    guard let i = cluster.nodeIndex(named: name) else { throw v.error("unknown node '\(name)'") }
                    nodes.append(i)
                }
                steps.append(.setAvailability(nodes: nodes, availability))
                handled = true
            }
            if handled { continue }
            let idNode = try e.required("id")
            let id = try idNode.string()
            if declared.contains(id) { throw idNode.error("id '\(id)' is used twice") }
            declared.insert(id)
            steps.append(.place(id: id, request: try ResourceRequest(config: e, extraKeys: ["id"]), line: e.line))
        }
        return PlacementScript(steps: steps)
    }

    /// Runs the steps on `state` in order.
    public func run(on state: inout ClusterState) -> PlacementReport {
        var held: [String: Allocation] = [:]
        var results: [PlacementReport.Result] = []
        var warnings: [String] = []
        for step in steps {
            switch step {
            case let .place(id, request, _):
                switch state.place(request) {
                case let .success(decision):
                    do {
                        try state.commit(decision.allocation)
                        held[id] = decision.allocation
                        let v = state.spec.view(of: decision.allocation)
                        results.append(
                            .init(
                                id: id, placed: true,
                                nodes: v.nodes.map {
                                    .init(node: $0.node, gpus: $0.gpus, cores: $0.cores, numa: $0.numa, nics: $0.nics)
                                },
                                gpuModel: v.gpuModel, shape: decision.note.shape,
                                fragmentationDelta: (decision.note.fragmentationDelta * 1000).rounded() / 1000))
                    } catch {
                        results.append(
                            .init(id: id, placed: false, nodes: [], reason: "internal: \(error)", refusal: "invalid"))
                    }
                case let .failure(refusal):
                    results.append(
                        .init(id: id, placed: false, nodes: [], reason: refusal.reason, refusal: refusal.kind.rawValue))
                }
            case let .release(ids):
                for id in ids {
                    guard let a = held.removeValue(forKey: id) else {
                        warnings.append("release of '\(id)': it is not placed")
                        continue
                    }
                    do { try state.release(a) } catch { warnings.append("release of '\(id)': \(error)") }
                }
            case let .setAvailability(nodes, availability):
                for n in nodes { state.setAvailability(node: n, availability) }
            }
        }
        return PlacementReport(
            results: results, freeShapes: state.freeShapes(), warnings: warnings, policy: state.policy.rawValue)
    }
}

/// What `schedctl place` prints as JSON (contract in docs/placement.md).
public struct PlacementReport: Hashable, Sendable, Codable {
    public struct NodeResult: Hashable, Sendable, Codable {
        public var node: String
        public var gpus: [Int]
        public var cores: [Int]
        public var numa: [Int]
        public var nics: [String]
    }

    public struct Result: Hashable, Sendable, Codable {
        public var id: String
        public var placed: Bool
        public var nodes: [NodeResult]
        public var gpuModel: String?
        /// How it was placed: numa-contained, numa-spanning, whole-node, gang, cpu-only.
        public var shape: String?
        public var fragmentationDelta: Double?
        /// Why not, when not placed.
        public var reason: String?
        /// invalid, never-fits or not-now, when not placed.
        public var refusal: String?

        init(
            id: String, placed: Bool, nodes: [NodeResult], gpuModel: String? = nil, shape: String? = nil,
            fragmentationDelta: Double? = nil, reason: String? = nil, refusal: String? = nil
        ) {
            self.id = id
            self.placed = placed
            self.nodes = nodes
            self.gpuModel = gpuModel
            self.shape = shape
            self.fragmentationDelta = fragmentationDelta
            self.reason = reason
            self.refusal = refusal
        }
    }

    public var results: [Result]
    public var freeShapes: FreeShapes
    public var warnings: [String]
    public var policy: String
}
