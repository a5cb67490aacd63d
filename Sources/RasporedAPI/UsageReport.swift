/// The answer to `GET /v1/usage`: what the platform's GPUs did over a period, grouped.
///
/// Every figure counts GPU time inside the period only: a run that began before it or ends after it counts
/// its part within. A run still going counts up to the answer.
public struct UsageReport: Hashable, Sendable, Codable {
    /// The period, in milliseconds since the epoch: as asked, with its end brought back to the answer's
    /// time when it lies ahead.
    public var sinceMillis: Int64
    public var untilMillis: Int64
    /// What the rows are: "account", "user", "partition" or "gpu-model".
    public var by: String
    /// GPUs of the cluster's nodes now: the machine that `share` is a part of.
    public var totalGPUs: Int
    /// All rows' use, counted once.
    public var total: UsageRow
    /// By account: the institutes first, each followed by its projects (`depth` 1, and so on), an
    /// institute's figures including its projects'. Otherwise the most GPU-hours first.
    public var rows: [UsageRow]
    /// True when the caller sees only part of the platform (its own jobs and the accounts it coordinates).
    public var partial: Bool

    public init(
        sinceMillis: Int64, untilMillis: Int64, by: String, totalGPUs: Int, total: UsageRow, rows: [UsageRow],
        partial: Bool
    ) {
        self.sinceMillis = sinceMillis
        self.untilMillis = untilMillis
        self.by = by
        self.totalGPUs = totalGPUs
        self.total = total
        self.rows = rows
        self.partial = partial
    }
}

/// One row of a usage report.
public struct UsageRow: Hashable, Sendable, Codable {
    /// The account, user, partition or GPU model ("-" for runs on GPUs of no single model).
    public var name: String
    /// By account: the account above it, and how deep it sits (0 for an institute).
    public var parent: String?
    public var depth: Int
    /// GPU-seconds held within the period.
    public var gpuSeconds: Double
    /// Jobs that held GPUs within the period.
    public var jobs: Int
    /// Mean time from submission to first start, over the jobs whose first run started within the period;
    /// nil when none did.
    public var meanWaitSeconds: Double?
    /// `gpuSeconds` over the machine's GPU-seconds in the period (`totalGPUs` × its length), 0 to 1.
    public var share: Double

    public init(
        name: String, parent: String? = nil, depth: Int = 0, gpuSeconds: Double, jobs: Int,
        meanWaitSeconds: Double?, share: Double
    ) {
        self.name = name
        self.parent = parent
        self.depth = depth
        self.gpuSeconds = gpuSeconds
        self.jobs = jobs
        self.meanWaitSeconds = meanWaitSeconds
        self.share = share
    }
}

/// The answer to `GET /v1/shares`: each account's fair-share standing as the scheduler holds it now.
public struct ShareList: Hashable, Sendable, Codable {
    /// The queue policy in force; fair share orders the queue only under "fairshare".
    public var policy: String
    /// Usage loses half its weight in this many seconds.
    public var halfLifeSeconds: Int64
    /// Accounts in cluster.yaml's tree order (institutes, each followed by its projects), then accounts
    /// cluster.yaml does not name that have jobs.
    public var accounts: [ShareView]

    public init(policy: String, halfLifeSeconds: Int64, accounts: [ShareView]) {
        self.policy = policy
        self.halfLifeSeconds = halfLifeSeconds
        self.accounts = accounts
    }
}

/// One account in `ShareList`: the numbers the priority uses, and the limits consumed.
public struct ShareView: Hashable, Sendable, Codable {
    public var account: String
    public var parent: String?
    public var depth: Int
    /// The share as cluster.yaml gives it, and normalised: its part among its siblings times its parent's.
    public var rawShare: Double
    public var share: Double
    /// Decayed GPU-seconds, and their part of all accounts' decayed usage (0 to 1).
    public var decayedGPUSeconds: Double
    public var usage: Double
    /// The fair-share factor, 2^(−usage/share): 1 for an account that used nothing, ½ at exactly its share.
    public var factor: Double
    /// What its jobs hold now, and its limits (nil: none).
    public var gpusInUse: Int
    public var gpuLimit: Int?
    /// GPU-seconds used in the current limit period, the GPU-hour limit, and the period's length.
    public var periodGPUSeconds: Double
    public var gpuHourLimit: Double?
    public var periodSeconds: Int64
    public var storageInUseBytes: UInt64
    public var storageLimitBytes: UInt64?

    public init(
        account: String, parent: String?, depth: Int, rawShare: Double, share: Double, decayedGPUSeconds: Double,
        usage: Double, factor: Double, gpusInUse: Int, gpuLimit: Int?, periodGPUSeconds: Double,
        gpuHourLimit: Double?, periodSeconds: Int64, storageInUseBytes: UInt64, storageLimitBytes: UInt64?
    ) {
        self.account = account
        self.parent = parent
        self.depth = depth
        self.rawShare = rawShare
        self.share = share
        self.decayedGPUSeconds = decayedGPUSeconds
        self.usage = usage
        self.factor = factor
        self.gpusInUse = gpusInUse
        self.gpuLimit = gpuLimit
        self.periodGPUSeconds = periodGPUSeconds
        self.gpuHourLimit = gpuHourLimit
        self.periodSeconds = periodSeconds
        self.storageInUseBytes = storageInUseBytes
        self.storageLimitBytes = storageLimitBytes
    }
}

/// What a usage report's rows are (`GET /v1/usage?by=`).
public enum UsageGrouping: String, Hashable, Sendable, Codable, CaseIterable {
    /// Accounts, each institute's projects under it and rolled up into it.
    case account
    case user
    case partition
    /// The model of the GPUs the runs held.
    case gpuModel = "gpu-model"
}
