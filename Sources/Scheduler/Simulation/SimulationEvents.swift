import Foundation

/// What happens to the cluster itself during a simulation: maintenance windows (reservations no job may
/// run into) and node failures (the node's jobs are lost and requeued; the node is down until repaired).
///
/// Read from a scenario file's `simulation` section, or given with `schedctl simulate --maintenance` and
/// `--failures` (docs/simulate.md). Times are seconds from the trace's start.
public struct SimulationEvents: Sendable, Hashable {
    /// A maintenance window, possibly repeating.
    public struct Maintenance: Sendable, Hashable {
        public var nodes: [String]
        public var start: Int64
        public var duration: Int64
        /// Repeats every this many seconds (nil: once).
        public var every: Int64?
        public var reason: String

        public init(nodes: [String], start: Int64, duration: Int64, every: Int64? = nil, reason: String = "maintenance")
        {
            self.nodes = nodes
            self.start = start
            self.duration = duration
            self.every = every
            self.reason = reason
        }
    }

    /// One node failing at a time, down for `repair` seconds.
    public struct Failure: Sendable, Hashable {
        public var node: String
        public var at: Int64
        public var repair: Int64

        public init(node: String, at: Int64, repair: Int64) {
            self.node = node
            self.at = at
            self.repair = repair
        }
    }

    /// Random failures: each node fails after an exponentially distributed time with mean `mtbf`, is down for
    /// `repair`, then runs again. Seeded, so runs repeat exactly.
    public struct FailureModel: Sendable, Hashable {
        public var mtbf: Int64
        public var repair: Int64
        public var seed: UInt64

        public init(mtbf: Int64, repair: Int64, seed: UInt64 = 1) {
            self.mtbf = mtbf
            self.repair = repair
            self.seed = seed
        }
    }

    public var maintenance: [Maintenance] = []
    public var failures: [Failure] = []
    public var failureModel: FailureModel?

    public init(maintenance: [Maintenance] = [], failures: [Failure] = [], failureModel: FailureModel? = nil) {
        self.maintenance = maintenance
        self.failures = failures
        self.failureModel = failureModel
    }

    public var isEmpty: Bool { maintenance.isEmpty && failures.isEmpty && failureModel == nil }

    /// These and `other`'s together.
    public func merged(with other: SimulationEvents) -> SimulationEvents {
        SimulationEvents(
            maintenance: maintenance + other.maintenance, failures: failures + other.failures,
            failureModel: other.failureModel ?? failureModel)
    }

    /// The maintenance windows over [0, horizon) as engine reservations on `spec`'s nodes; unknown nodes are
    /// an error naming them.
    public func reservations(on spec: ClusterSpec, until horizon: Int64) throws(ConfigError) -> [Reservation] {
        var out: [Reservation] = []
        for (i, m) in maintenance.enumerated() {
            var nodes: [Int] = []
            for name in m.nodes {
                if name == "all" {
                    nodes = Array(spec.nodes.indices)
                    break
                }
                guard let n = spec.nodeIndex(named: name) else {
                    throw ConfigError(
                        file: nil, line: nil, path: "simulation.maintenance[\(i)]",
                        message: "unknown node '\(name)' in the cluster '\(spec.name)'")
                }
                nodes.append(n)
            }
            var start = m.start
            var k = 0
            repeat {
                out.append(
                    Reservation(
                        name: "maintenance-\(i + 1)" + (m.every == nil ? "" : ".\(k + 1)"), nodes: nodes, start: start,
                        end: start + m.duration, reason: m.reason))
                k += 1
                guard let every = m.every, every > 0 else { break }
                start += every
            } while start < horizon
        }
        return out
    }

    /// Every failure over [0, horizon): the listed ones and the model's, in time order (ties by node).
    public func failureList(on spec: ClusterSpec, until horizon: Int64) throws(ConfigError) -> [(
        node: Int, at: Int64, repair: Int64
    )] {
        var out: [(node: Int, at: Int64, repair: Int64)] = []
        for (i, f) in failures.enumerated() {
            guard let n = spec.nodeIndex(named: f.node) else {
                throw ConfigError(
                    file: nil, line: nil, path: "simulation.failures[\(i)]",
                    message: "unknown node '\(f.node)' in the cluster '\(spec.name)'")
            }
            out.append((n, f.at, f.repair))
        }
        if let m = failureModel, m.mtbf > 0 {
            for n in spec.nodes.indices {
                // One stream per node, so adding nodes does not move the others' failures.
                var rng = SeededRandom(seed: m.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(n))
                var t: Int64 = 0
                while true {
                    t += max(Int64(rng.exponential(mean: Double(m.mtbf)).rounded(.up)), 1)
                    if t >= horizon { break }
                    out.append((n, t, m.repair))
                    t += m.repair
                }
            }
        }
        out.sort { ($0.at, $0.node) < ($1.at, $1.node) }
        return out
    }
}
