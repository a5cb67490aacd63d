import Collections

/// Placement quality under churn: requests arrive at random, hold their GPUs for a random time and
/// leave; a request that cannot be placed on arrival is lost (no queue, so every policy sees the same
/// arrivals). Counts how often an arriving request of a given size finds no compliant place although
/// enough GPUs are free in the cluster: the capacity that fragmentation wastes.
public struct ChurnExperiment: Sendable {
    /// Request sizes (GPUs) and their weights.
    public var mix: [(gpus: Int, weight: Double)]
    /// Offered load: mean GPUs requested at once / GPUs of the cluster.
    public var load: Double
    public var arrivals: Int
    public var seed: UInt64

    public init(
        mix: [(gpus: Int, weight: Double)] = [(1, 0.4), (2, 0.25), (4, 0.2), (8, 0.15)], load: Double = 0.9,
        arrivals: Int = 20_000, seed: UInt64 = 42
    ) {
        self.mix = mix
        self.load = load
        self.arrivals = arrivals
        self.seed = seed
    }

    /// Per request size: arrivals, placements, and refusals while enough GPUs were free.
    public struct SizeOutcome: Hashable, Sendable, Codable {
        public var gpus: Int
        public var arrivals = 0
        public var placed = 0
        /// Refused although the cluster had at least this many GPUs free.
        public var blockedByFragmentation = 0
        /// Found no compliant place (inside one NUMA domain when the size fits one; a whole node for a
        /// node-sized request) although the cluster had at least this many GPUs free: the figure the
        /// policies are compared by, whatever each then did with the request.
        public var noCompliantPlace = 0
        /// Arrivals that got GPUs spanning NUMA domains although they fit one domain's GPUs.
        public var spanning = 0
        /// Share of arrivals that found no compliant place although enough GPUs were free.
        public var strandedShare: Double { arrivals == 0 ? 0 : Double(noCompliantPlace) / Double(arrivals) }
    }

    public struct Outcome: Hashable, Sendable, Codable {
        public var policy: String
        public var sizes: [SizeOutcome]
        /// Mean share of GPUs allocated, sampled at arrivals.
        public var utilisation: Double
    }

    /// Runs the same arrival sequence under `policy`.
    public func run(spec: ClusterSpec, policy: PlacementPolicyName) -> Outcome {
        var state = ClusterState(spec: spec, policy: policy)
        var rng = SeededRandom(seed: seed)
        let total = spec.totalGPUs
        let meanGPUs = mix.reduce(0) { $0 + Double($1.gpus) * $1.weight } / mix.reduce(0) { $0 + $1.weight }
        // Little's law: GPUs busy = arrival rate × mean GPUs × mean hold time.
        let meanHold = 100.0
        let rate = load * Double(total) / (meanGPUs * meanHold)
        var outcomes = Dictionary(uniqueKeysWithValues: mix.map { ($0.gpus, SizeOutcome(gpus: $0.gpus)) })
        var departures = Heap<Departure>()
        var held: [Int: Allocation] = [:]
        var now = 0.0
        var busySum = 0.0
        let weightTotal = mix.reduce(0) { $0 + $1.weight }
        for id in 0..<arrivals {
            now += rng.exponential(mean: 1 / rate)
            while let d = departures.min, d.time <= now {
                _ = departures.removeMin()
                // A departure gives back what its arrival committed below (debug builds check).
                state.releaseKnownHeld(held.removeValue(forKey: d.id)!)
            }
            var pick = rng.unit() * weightTotal
            var gpus = mix[0].gpus
            for m in mix {
                pick -= m.weight
                if pick < 0 {
                    gpus = m.gpus
                    break
                }
            }
            let hold = rng.exponential(mean: meanHold)
            let shapes = state.freeShapes(sizes: [gpus])
            let free = shapes.freeGPUs
            busySum += Double(total - free) / Double(total)
            outcomes[gpus]!.arrivals += 1
            if free >= gpus && shapes.fits[gpus]! == 0 { outcomes[gpus]!.noCompliantPlace += 1 }
            switch state.place(ResourceRequest(gpus: gpus)) {
            case let .success(decision):
                // Decided on this state a moment ago, so it fits (debug builds check).
                state.commitKnownToFit(decision.allocation)
                held[id] = decision.allocation
                departures.insert(Departure(time: now + hold, id: id))
                outcomes[gpus]!.placed += 1
                if decision.note.shape == "numa-spanning" { outcomes[gpus]!.spanning += 1 }
            case .failure:
                if free >= gpus { outcomes[gpus]!.blockedByFragmentation += 1 }
            }
        }
        return Outcome(
            policy: policy.rawValue, sizes: mix.map { outcomes[$0.gpus]! },
            utilisation: busySum / Double(max(1, arrivals)))
    }

    struct Departure: Comparable {
        var time: Double
        var id: Int
        static func < (a: Departure, b: Departure) -> Bool { (a.time, a.id) < (b.time, b.id) }
    }
}
