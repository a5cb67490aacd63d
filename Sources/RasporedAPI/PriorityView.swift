import Scheduler

/// A pending job's multifactor priority (`Priority` in the engine) and the queue policy in force: under
/// `fairshare` the queue is offered in this order (highest first); under `fifo` and `backfill` it is
/// computed but submission order rules.
public struct PriorityView: Hashable, Sendable, Codable {
    /// The weighted factors (each weight × a factor from 0 to 1) and the nice value subtracted.
    public var age: Double
    public var fairShare: Double
    public var size: Double
    public var partition: Double
    public var nice: Double
    /// age + fairShare + size + partition − nice.
    public var total: Double
    /// The cluster's queue policy: "fifo", "backfill" or "fairshare".
    public var policy: String

    public init(_ p: Priority, policy: QueuePolicyName) {
        age = p.age
        fairShare = p.fairShare
        size = p.size
        partition = p.partition
        nice = p.nice
        total = p.total
        self.policy = policy.rawValue
    }

    /// Whether the policy orders the queue by it.
    public var ordersQueue: Bool { QueuePolicyName(rawValue: policy)?.usesPriority ?? false }
}
