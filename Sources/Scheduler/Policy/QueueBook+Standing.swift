/// Each account's standing as the book holds it: the very numbers its fair-share factor and limits read
/// (`schedctl shares`), not a second computation.
extension QueueBook {
    public struct AccountStanding: Hashable, Sendable {
        /// Normalised share (0…1), decayed GPU-seconds, their part of all accounts' (0…1), and the factor.
        public var share: Double
        public var decayedGPUSeconds: Double
        public var usage: Double
        public var factor: Double
        public var gpusInUse: Int
        /// Shared storage its running jobs claim; kept only while some account has limits (0 otherwise).
        public var storageInUse: ByteSize
        /// GPU-seconds used in the current limit period; kept only for an account with a GPU-hour limit.
        public var periodGPUSeconds: Double
    }

    /// `account`'s standing at `t` (the book moves to `t` first, as a pass would: usage decays and accrues
    /// exactly, however often it moves).
    public mutating func standing(of account: String, at t: Int64) -> AccountStanding {
        advance(to: t)
        let a = accountId(account)
        let total = fairShare.totalUsage
        let used = fairShare.decayedUsage(account)
        let period = max(limits[a].period.seconds, 1)
        return AccountStanding(
            share: fairShare.share(account), decayedGPUSeconds: used, usage: total > 0 ? used / total : 0,
            factor: fairShare.factor(account), gpusInUse: gpusInUse[a], storageInUse: storageInUse[a],
            periodGPUSeconds: limits[a].gpuHours != nil && periodIndex[a] == time / period ? periodUsage[a] : 0)
    }
}
