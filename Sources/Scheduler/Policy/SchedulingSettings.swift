/// The queue policies: who goes first, and whether smaller jobs may start ahead of a waiting one.
///
/// - `fifo`: submission order; every job that fits starts, and a job that does not fit never holds back the
///   ones behind it (first fit, no reservation).
/// - `strict-fifo`: head-of-line FIFO, as Slurm's sched/builtin: submission order, and the first job that does
///   not start (no room, an account limit, a reservation's window) holds back every job behind it, across the
///   whole cluster. Nothing passes it, so it needs no reservation.
/// - `backfill`: submission order with EASY backfill: the first job that does not fit gets a reservation at
///   the earliest time it can start, and a later job starts now only if it does not delay that reservation.
/// - `fairshare`: multifactor priority (age, fair share, size, partition, nice; weights in cluster.yaml)
///   with EASY backfill, as Slurm's priority/multifactor with sched/backfill.
public enum QueuePolicyName: String, CaseIterable, Hashable, Sendable, Codable {
    case fifo
    case strictFIFO = "strict-fifo"
    case backfill
    case fairshare

    /// The policy reserves a start for the first job that does not fit.
    public var backfills: Bool { self == .backfill || self == .fairshare }
    /// The first job in line that does not start holds back every job behind it (`QueuePass.LineHead`).
    public var holdsLine: Bool { self == .strictFIFO }
    /// The policy orders by multifactor priority rather than submission.
    public var usesPriority: Bool { self == .fairshare }
}

/// How much each priority factor weighs. Every factor is a number from 0 to 1; a job's priority is the sum
/// of the weighted factors less its nice value (`Priority`).
public struct PriorityWeights: Hashable, Sendable, Codable {
    /// Time waited, up to `SchedulingSettings.maxAge`.
    public var age: Double = 1000
    /// The account's fair-share factor: 1 for an account that used nothing, ½ for one that used exactly
    /// its share, towards 0 for one far over it.
    public var fairShare: Double = 10000
    /// GPUs asked for, as a fraction of the cluster's (large jobs first, so they do not starve).
    public var size: Double = 1000
    /// The partition's priority tier as a fraction of the highest.
    public var partition: Double = 1000

    public init() {}

    public init(age: Double, fairShare: Double, size: Double, partition: Double) {
        self.age = age
        self.fairShare = fairShare
        self.size = size
        self.partition = partition
    }
}

/// cluster.yaml's `scheduling` section: the queue policy and its parameters (docs/cluster-yaml.md).
public struct SchedulingSettings: Hashable, Sendable, Codable {
    public var policy: QueuePolicyName = .fifo
    public var weights = PriorityWeights()
    /// Waiting longer than this adds no more age priority.
    public var maxAge: TimeSpan = .days(7)
    /// Recorded usage loses half its weight in this time.
    public var fairShareHalfLife: TimeSpan = .days(7)

    public init() {}
}
