/// A job's multifactor priority and what it is made of (`schedctl show` prints the parts).
///
/// Each factor is a number from 0 to 1 multiplied by its weight from cluster.yaml's `scheduling.priority`:
/// age (time waited over `maxAge`, capped at 1), fair share (the account's `FairShare` factor), size (GPUs
/// asked for over the cluster's GPUs: large jobs go first, so they do not starve) and partition (the
/// partition's tier over the highest tier). A job's nice value is subtracted. Higher runs first; ties go
/// to the earlier submission, then the lower id.
public struct Priority: Hashable, Sendable, Codable, Comparable {
    public var age: Double
    public var fairShare: Double
    public var size: Double
    public var partition: Double
    public var nice: Double

    public var total: Double { age + fairShare + size + partition - nice }

    public static func < (a: Priority, b: Priority) -> Bool { a.total < b.total }

    public init(age: Double, fairShare: Double, size: Double, partition: Double, nice: Double) {
        self.age = age
        self.fairShare = fairShare
        self.size = size
        self.partition = partition
        self.nice = nice
    }

    /// The priority of a job of `account` that asks for `gpus` in `partition`, submitted at `submit`, at `now`.
    public static func of(
        submit: Int64, gpus: Int, partition: String?, nice: Int, fairShareFactor: Double, now: Int64,
        spec: ClusterSpec, totalGPUs: Int
    ) -> Priority {
        of(
            submit: submit, gpus: gpus, partitionFactor: partitionFactor(partition, spec: spec), nice: nice,
            fairShareFactor: fairShareFactor, now: now, settings: spec.scheduling, totalGPUs: totalGPUs)
    }

    /// The partition factor: its tier over the highest tier (0 when no partition has a tier).
    static func partitionFactor(_ partition: String?, spec: ClusterSpec) -> Double {
        let topTier = spec.partitions.map(\.priority).max() ?? 0
        let tier = (partition.flatMap(spec.partition(named:)) ?? spec.defaultPartition)?.priority ?? 0
        return topTier > 0 ? Double(tier) / Double(topTier) : 0
    }

    /// `of(…)` with the partition factor already known (the queue book keeps them per partition).
    static func of(
        submit: Int64, gpus: Int, partitionFactor: Double, nice: Int, fairShareFactor: Double, now: Int64,
        settings s: SchedulingSettings, totalGPUs: Int
    ) -> Priority {
        let w = s.weights
        let waited = Double(max(now - submit, 0))
        let ageFactor = min(waited / Double(max(s.maxAge.seconds, 1)), 1)
        let sizeFactor = totalGPUs > 0 ? min(Double(gpus) / Double(totalGPUs), 1) : 0
        return Priority(
            age: w.age * ageFactor, fairShare: w.fairShare * fairShareFactor, size: w.size * sizeFactor,
            partition: w.partition * partitionFactor, nice: Double(nice))
    }
}
