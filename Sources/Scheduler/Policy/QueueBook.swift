import Foundation

/// What the queue policy remembers between passes: the running jobs (what they hold, when their time limits
/// run out, whose they are), each account's GPUs, storage and GPU-hours in use, the fair-share ledger, the
/// reservations, the backfill plan, and under strict-fifo the job that holds the line. The controller keeps
/// one at wall-clock time and the simulator one at virtual time; `QueuePass` reads and updates it.
///
/// Tell it what happens outside a pass: `ended` for every job that stops holding its allocation (with the
/// time, so usage is accounted up to it), `invalidatePlan` when nodes change availability.
public struct QueueBook: Sendable {
    public let spec: ClusterSpec
    public var settings: SchedulingSettings
    public private(set) var fairShare: FairShare
    public var reservations: ReservationBook { didSet { plan = nil } }
    public private(set) var time: Int64
    /// GPUs of the whole cluster (the size factor's denominator).
    public let totalGPUs: Int

    /// Who keeps the book: the controller, whose passes' outcomes people and its API read, or the simulator,
    /// which reads only the decisions. The decisions are the same in either mode; the simulator's leaves out
    /// what it would not read and trusts what it keeps itself.
    public enum Mode: Sendable, Hashable {
        /// The controller's (and the default): refusals explained in words, fair-share usage accrued under
        /// every policy, a running job's allocation checked before a plan's look-ahead gives it back, and a
        /// plan's search run when the plan is made.
        case live
        /// The simulator's: `explains` off, `accruesFairShare` only under a policy that reads priorities,
        /// `runningHeldOnCluster` and `defersPlans` on.
        case simulation
    }
    /// Set when the book is made; the flags below follow from it.
    public let mode: Mode

    /// Refusals come with their reasons in words (live; the simulator does not read them).
    public var explains: Bool { mode == .live }
    /// Usage accrues for fair share as time advances (live, and in simulation under a policy that reads
    /// priorities: otherwise nothing would read it).
    public var accruesFairShare: Bool { mode == .live || policy.usesPriority }
    /// Every running job's allocation is held on the cluster the passes are given, by the caller's own
    /// record (in simulation: the simulator keeps both): a backfill plan's look-ahead gives them back without
    /// checking each (in release builds). Live, a look-ahead checks each and passes over one it could not
    /// give back.
    var runningHeldOnCluster: Bool { mode == .simulation }
    /// A backfill plan's search may be put off until a pass reads its start or admits a job against it
    /// (`BackfillPlan.deferred`): the decisions are the same, and the search is saved for the plans whose job
    /// starts first (some 60 %). Until then the reserved job is not reported `.reserved` to a pass's
    /// `waiting`, and `reservedStart` is nil. On in simulation, where every running job is held on the
    /// cluster (`runningHeldOnCluster`) and no reasons but preemption are read; a plan is deferred only while
    /// every node is up and no reservation is booked, for a job that fits the idle cluster. (The simulator
    /// turns it off for tests that check the decisions are the same: `Simulator.Options.defersPlans`.)
    var defersPlans: Bool
    /// Some account has limits (otherwise the pass does not look them up).
    let anyLimits: Bool
    /// What the policy reads of a partition: its tier, whether it may be preempted, and the priority's
    /// partition factor; per partition name, and for a request that names none (or an unknown one).
    struct PartitionTerms: Sendable {
        var tier: Int
        var preemptible: Bool
        var factor: Double

        init(_ partition: Partition?, spec: ClusterSpec) {
            tier = partition?.priority ?? 0
            preemptible = partition?.preemptible ?? false
            factor = Priority.partitionFactor(partition?.name, spec: spec)
        }
    }
    let partitionTerms: [String: PartitionTerms]
    let defaultPartitionTerms: PartitionTerms

    struct Running: Sendable {
        var account: Int
        var gpus: Int
        var storage: ByteSize
        var end: Int64
        var allocation: Allocation
        var start: Int64 = 0
        /// Its partition's tier, and whether the partition lets it be preempted.
        var tier = 0
        var preemptible = false
    }

    /// Running jobs chosen as victims and not yet ended, and the jobs they make room for (with their tiers):
    /// until such a job starts, no job of a lower tier may start in its place.
    var preempting: Set<Int64> = []
    var preemptors: [Int64: Int] = [:]
    /// Running jobs in preemptible partitions (no victim search without any).
    var preemptibleRunning = 0

    var running = JobTable<Running>()
    /// Per account id (`fairShare`'s numbering).
    var gpusInUse: [Int] = []
    /// Only account limits read these two, so they are kept only where some account has limits (`anyLimits`).
    var storageInUse: [ByteSize] = []
    /// Σ gpus × expected end of the account's running jobs (their committed GPU-seconds are this less
    /// gpus in use × now).
    var gpuEndSum: [Double] = []
    /// GPU-seconds used in the current period, and the period it counts.
    var periodUsage: [Double] = []
    var periodIndex: [Int64] = []
    var limits: [AccountLimits] = []
    /// The backfill reservation for the first job that does not fit (nil: none made yet, or invalid).
    var plan: BackfillPlan?
    /// Under strict-fifo, the first job in line that did not start in the last pass (nil: every job offered
    /// started).
    var lineHead: QueuePass.LineHead?
    /// Storage for a plan's search of the running jobs' ends (`BackfillPlan.make`), kept from one to the next.
    var planEnds: [BackfillPlan.End] = []
    /// The jobs that ended since the plan was made, while it is deferred (emptied when a deferred plan is
    /// made; its storage kept from one to the next).
    var endedSincePlan: [BackfillPlan.Ended] = []

    public init(
        spec: ClusterSpec, policy: QueuePolicyName? = nil, now: Int64, reservations: [Reservation] = [],
        mode: Mode = .live
    ) {
        self.spec = spec
        self.mode = mode
        defersPlans = mode == .simulation
        var s = spec.scheduling
        if let policy { s.policy = policy }
        settings = s
        fairShare = FairShare(accounts: spec.accounts, halfLife: s.fairShareHalfLife, now: now)
        self.reservations = ReservationBook(reservations)
        time = now
        totalGPUs = spec.totalGPUs
        anyLimits = spec.accounts.contains { !$0.limits.isEmpty }
        partitionTerms = Dictionary(
            spec.partitions.map { ($0.name, PartitionTerms($0, spec: spec)) }, uniquingKeysWith: { a, _ in a })
        defaultPartitionTerms = PartitionTerms(spec.defaultPartition, spec: spec)
        syncAccounts()
    }

    public var policy: QueuePolicyName { settings.policy }
    /// The running jobs' allocations and expected ends, by id (for tools and benchmarks).
    public var runningAllocations: [(Int64, (Allocation, Int64))] {
        running.map { ($0.key, ($0.value.allocation, $0.value.end)) }.sorted { $0.0 < $1.0 }
    }
    public var runningCount: Int { running.count }

    /// The account's number, known from now on.
    mutating func accountId(_ name: String) -> Int {
        let id = fairShare.id(of: name)
        if id >= gpusInUse.count { syncAccounts() }
        return id
    }

    private mutating func syncAccounts() {
        while gpusInUse.count < fairShare.names.count {
            let name = fairShare.names[gpusInUse.count]
            gpusInUse.append(0)
            storageInUse.append(.zero)
            gpuEndSum.append(0)
            periodUsage.append(0)
            let l = spec.account(named: name)?.limits ?? AccountLimits()
            limits.append(l)
            periodIndex.append(time / max(l.period.seconds, 1))
        }
    }

    /// Moves the clock to `t`: fair-share usage decays and accrues, and each account's period usage grows
    /// (restarting when a period ends).
    public mutating func advance(to t: Int64) {
        guard t > time else { return }
        if accruesFairShare { fairShare.advance(to: t, gpusInUse: gpusInUse) }
        // Period usage only where some account has limits (otherwise there is none to keep).
        if anyLimits {
            for i in limits.indices where limits[i].gpuHours != nil {
                let period = max(limits[i].period.seconds, 1)
                let p = t / period
                if p != periodIndex[i] {
                    periodIndex[i] = p
                    periodUsage[i] = Double(gpusInUse[i]) * Double(t - p * period)
                } else {
                    periodUsage[i] += Double(gpusInUse[i]) * Double(t - time)
                }
            }
        }
        time = t
    }

    /// Records a start (the pass calls it for the jobs it starts; the controller for jobs already running
    /// when it starts). `end` is when the time limit runs out.
    public mutating func started(
        id: Int64, account: String, allocation: Allocation, end: Int64, at t: Int64, partition: String? = nil
    ) {
        started(
            id: id, account: account, accountHint: -1, allocation: allocation, end: end, at: t, partition: partition)
    }

    /// `started`, with the account's number in this book if the caller knows it (checked before use).
    mutating func started(
        id: Int64, account: String, accountHint: Int, allocation: consuming Allocation, end: Int64, at t: Int64,
        partition: String?
    ) {
        advance(to: t)
        let a = accountId(account, hint: accountHint)
        let g = allocation.gpuCount
        let storage = allocation.sharedStorage
        let p = terms(partition)
        // (The allocation is moved into the table: a copy would count its references, and the caller's a
        // release.)
        running.insert(
            id,
            Running(
                account: a, gpus: g, storage: storage, end: end, allocation: allocation, start: t, tier: p.tier,
                preemptible: p.preemptible))
        if p.preemptible { preemptibleRunning += 1 }
        if !preemptors.isEmpty { preemptors.removeValue(forKey: id) }
        gpusInUse[a] += g
        if anyLimits {
            storageInUse[a] = storageInUse[a] + storage
            gpuEndSum[a] += Double(g) * Double(end)
        }
    }

    /// Records that a job no longer holds its allocation (ended, cancelled, lost with its node, preempted) at
    /// `t`: its use up to then is accounted first.
    /// Returns the allocation the job held (nil if it was not running).
    @discardableResult
    public mutating func ended(id: Int64, at t: Int64) -> Allocation? {
        advance(to: t)
        guard let r = running.removeValue(forKey: id) else { return nil }
        if r.preemptible { preemptibleRunning -= 1 }
        if !preempting.isEmpty { preempting.remove(id) }
        gpusInUse[r.account] -= r.gpus
        if anyLimits {
            storageInUse[r.account] = storageInUse[r.account] - r.storage
            gpuEndSum[r.account] -= Double(r.gpus) * Double(r.end)
        }
        if plan != nil {
            if plan!.isDeferred {
                // (Kept for the plan's search: it takes the job off the cluster at the end of its time limit.)
                endedSincePlan.append((r.end, id, r.allocation))
            } else {
                plan!.jobEnded(r.allocation, expectedEnd: r.end)
            }
        }
        return r.allocation
    }

    /// Replays a finished job's past use into the fair-share ledger (at the current time, decayed by
    /// its age) and the period usage.
    public mutating func chargeHistory(account: String, gpuSeconds: Double, endedAt: Int64) {
        let age = Double(max(time - endedAt, 0))
        fairShare.charge(account, gpuSeconds: gpuSeconds * exp2(-age / fairShare.halfLife))
        let a = accountId(account)
        let period = max(limits[a].period.seconds, 1)
        if endedAt / period == periodIndex[a] { periodUsage[a] += gpuSeconds }
    }

    /// A waiting job left the queue without starting (cancelled): if it held the backfill reservation, the
    /// next pass makes a new one. If it held the line (strict-fifo, `firstInLine`), it holds it until the next
    /// complete pass, which the caller runs: the jobs behind it may start now.
    public mutating func withdraw(id: Int64) {
        if plan?.head == id { plan = nil }
        preemptors.removeValue(forKey: id)
    }

    /// The account's fair-share factor (kept until usage changes).
    mutating func fairShareFactor(id: Int) -> Double { fairShare.cachedFactor(id: id) }

    /// The account's number: `hint` when it still is `name`'s (a number a caller kept), else looked up (and the
    /// account made known if it is new).
    mutating func accountId(_ name: String, hint: Int) -> Int { isAccountId(hint, of: name) ? hint : accountId(name) }

    /// Whether `id` is still `name`'s number (a number kept by a caller, checked before use).
    func isAccountId(_ id: Int, of name: String) -> Bool {
        id >= 0 && id < fairShare.names.count && fairShare.names[id] == name
    }

    /// The priority's partition factor of a request's partition (nil: the default partition).
    func partitionFactor(_ partition: String?) -> Double { terms(partition).factor }

    /// The terms of a partition named by a request (nil or unknown: the default partition).
    func terms(_ partition: String?) -> PartitionTerms {
        partition.flatMap { partitionTerms[$0] } ?? defaultPartitionTerms
    }

    /// Forget the backfill plan (node availability changed); the next pass makes a new one.
    public mutating func invalidatePlan() { plan = nil }

    /// Under strict-fifo, the job that holds the line: the first in line that did not start in the last pass
    /// (nothing behind it starts until it does); nil when every job offered started.
    public var firstInLine: Int64? { lineHead?.id }

    /// The current backfill reservation: which job, and when it is to start (nil also while the plan is
    /// deferred, `defersPlans`: its start is not worked out yet).
    public var reservedStart: (job: Int64, at: Int64)? {
        guard let plan, !plan.isDeferred else { return nil }
        return (plan.head, plan.start)
    }
}
