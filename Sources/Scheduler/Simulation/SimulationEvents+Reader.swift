import Foundation

/// Reads a scenario file's `simulation` section and `schedctl simulate`'s `--maintenance` and `--failures`
/// (docs/simulate.md):
///
/// ```yaml
/// simulation:
///   maintenance:
///     - { nodes: "dgx[05-06]", start: 7d, duration: 8h, every: 30d, reason: firmware }
///   failures:
///     mtbf: 90d          # per node: mean time between failures
///     repair: 12h        # how long a failed node stays down
///     seed: 7
///     events:
///       - { node: dgx03, at: 2d, repair: 6h }
/// ```
extension SimulationEvents {
    /// The `simulation` section of a scenario file's text (empty when it has none); `file` names it in errors.
    public static func parse(yaml text: String, file: String?) throws(ConfigError) -> SimulationEvents {
        let root = try ConfigNode.parse(text, file: file)
        guard let s = try root.optional("simulation") else { return SimulationEvents() }
        return try SimulationEvents(config: s)
    }

    public init(config n: ConfigNode) throws(ConfigError) {
        self.init()
        try n.onlyKeys(["maintenance", "failures"])
        if let m = try n.optional("maintenance") {
            for e in try m.elements() {
                try e.onlyKeys(["nodes", "start", "duration", "every", "reason"])
                let nodesNode = try e.required("nodes")
                let text = try nodesNode.isSequence ? nodesNode.stringList().joined(separator: ",") : nodesNode.string()
                guard let nodes = text == "all" ? ["all"] : RangeList.expandHosts(text) else {
                    throw nodesNode.error("cannot read node list '\(text)'")
                }
                let duration = try e.required("duration").timeSpan().seconds
                if duration <= 0 { throw try e.required("duration").error("a window lasts longer than 0") }
                let every = try e.optional("every")?.timeSpan().seconds
                if let every, every < duration {
                    throw try e.required("every").error(
                        "a window repeats no more often than it lasts (\(TimeSpan(seconds: duration)))")
                }
                maintenance.append(
                    Maintenance(
                        nodes: nodes, start: try e.optional("start")?.timeSpan().seconds ?? 0, duration: duration,
                        every: every, reason: try e.optional("reason")?.string() ?? "maintenance"))
            }
        }
        if let f = try n.optional("failures") {
            try f.onlyKeys(["mtbf", "repair", "seed", "events"])
            if let mtbf = try f.optional("mtbf") {
                let m = try mtbf.timeSpan().seconds
                if m <= 0 { throw mtbf.error("the mean time between failures must be longer than 0") }
                failureModel = FailureModel(
                    mtbf: m, repair: try f.optional("repair")?.timeSpan().seconds ?? 4 * 3600,
                    seed: UInt64(try f.optional("seed")?.nonNegativeInt() ?? 1))
            }
            if let events = try f.optional("events") {
                for e in try events.elements() {
                    try e.onlyKeys(["node", "at", "repair"])
                    failures.append(
                        Failure(
                            node: try e.required("node").string(), at: try e.required("at").timeSpan().seconds,
                            repair: try e.optional("repair")?.timeSpan().seconds ?? 4 * 3600))
                }
            }
        }
    }
}

extension SimulationEvents.Maintenance {
    /// `NODES@START+DURATION[/EVERY]`, e.g. `dgx[05-06]@7d+8h/30d` or `all@2d+4h`; nil when malformed.
    public init?(parsing text: String) {
        guard let at = text.firstIndex(of: "@") else { return nil }
        let nodesText = String(text[..<at])
        var rest = String(text[text.index(after: at)...])
        var every: Int64?
        if let slash = rest.firstIndex(of: "/") {
            guard let e = TimeSpan(parsing: String(rest[rest.index(after: slash)...])) else { return nil }
            every = e.seconds
            rest = String(rest[..<slash])
        }
        let parts = rest.split(separator: "+", maxSplits: 1).map(String.init)
        guard parts.count == 2, let start = TimeSpan(parsing: parts[0]), let duration = TimeSpan(parsing: parts[1]),
            duration.seconds > 0, every.map({ $0 >= duration.seconds }) ?? true,
            let nodes = nodesText == "all" ? ["all"] : RangeList.expandHosts(nodesText), !nodes.isEmpty
        else { return nil }
        self.init(nodes: nodes, start: start.seconds, duration: duration.seconds, every: every)
    }
}

extension SimulationEvents.FailureModel {
    /// `mtbf=90d[,repair=12h][,seed=N]`; nil when malformed.
    public init?(parsing text: String) {
        var mtbf: Int64?
        var repair: Int64 = 4 * 3600
        var seed: UInt64 = 1
        for item in text.split(separator: ",") {
            let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { return nil }
            switch kv[0] {
            case "mtbf": mtbf = TimeSpan(parsing: kv[1])?.seconds
            case "repair":
                guard let r = TimeSpan(parsing: kv[1]) else { return nil }
                repair = r.seconds
            case "seed":
                guard let s = UInt64(kv[1]) else { return nil }
                seed = s
            default: return nil
            }
        }
        guard let mtbf, mtbf > 0, repair >= 0 else { return nil }
        self.init(mtbf: mtbf, repair: repair, seed: seed)
    }
}
