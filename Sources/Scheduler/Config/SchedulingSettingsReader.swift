/// Reads cluster.yaml's `scheduling` section and accounts' `limits` (docs/cluster-yaml.md).
extension SchedulingSettings {
    init(config n: ConfigNode) throws(ConfigError) {
        self.init()
        try n.onlyKeys(["policy", "priority", "fairShare"])
        if let p = try n.optional("policy") {
            let name = try p.string()
            guard let policy = QueuePolicyName(rawValue: name) else {
                throw p.error(
                    "unknown queue policy '\(name)' (\(QueuePolicyName.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            self.policy = policy
        }
        if let pr = try n.optional("priority") {
            try pr.onlyKeys(["weights", "maxAge"])
            if let w = try pr.optional("weights") {
                try w.onlyKeys(["age", "fairShare", "size", "partition"])
                func weight(_ key: String, _ value: Double) throws(ConfigError) -> Double {
                    guard let v = try w.optional(key) else { return value }
                    let d = try v.double()
                    if d < 0 { throw v.error("a weight must not be negative") }
                    return d
                }
                weights = PriorityWeights(
                    age: try weight("age", weights.age), fairShare: try weight("fairShare", weights.fairShare),
                    size: try weight("size", weights.size), partition: try weight("partition", weights.partition))
            }
            if let a = try pr.optional("maxAge") {
                maxAge = try a.timeSpan()
                if maxAge.seconds <= 0 { throw a.error("maxAge must be longer than 0") }
            }
        }
        if let fs = try n.optional("fairShare") {
            try fs.onlyKeys(["halfLife"])
            if let h = try fs.optional("halfLife") {
                fairShareHalfLife = try h.timeSpan()
                if fairShareHalfLife.seconds <= 0 { throw h.error("the half-life must be longer than 0") }
            }
        }
    }
}

extension AccountLimits {
    init(config n: ConfigNode) throws(ConfigError) {
        self.init()
        try n.onlyKeys(["gpus", "gpuHours", "period", "storage"])
        gpus = try n.optional("gpus")?.nonNegativeInt()
        if let h = try n.optional("gpuHours") {
            let v = try h.double()
            if v < 0 { throw h.error("GPU-hours must not be negative") }
            gpuHours = v
        }
        if let p = try n.optional("period") {
            period = try p.timeSpan()
            if period.seconds <= 0 { throw p.error("the period must be longer than 0") }
        }
        storage = try n.optional("storage")?.byteSize()
    }
}
