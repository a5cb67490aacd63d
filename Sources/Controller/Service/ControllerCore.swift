import Foundation
import Logging
import RasporedAPI
import Scheduler
import Synchronization

/// The controller's service core: the engine's `ClusterState` kept in step with the durable `StateStore`
/// and with the nodes' agents.
///
/// Every change is written to the store (committed, fsynced) before the engine's state follows and before
/// the caller hears of it. On start it rebuilds the engine's state from the store: running jobs' allocations
/// are committed again and node states applied, so a restart never gives a GPU twice; agents then register
/// again and report what runs, and nodes whose agent stays silent past the timeout are declared down. An
/// actor: one decision at a time, in the order requests arrive.
public actor ControllerCore {
    /// The cluster description in force (replaced by `reloadCluster`).
    public internal(set) var spec: ClusterSpec
    nonisolated let store: StateStore
    public nonisolated let settings: ControllerSettings
    let logger: Logger
    /// Milliseconds since the epoch: the controller's only clock for what it records.
    let millisClock: @Sendable () -> Int64
    var state: ClusterState
    /// The queue policy's memory: running jobs, account usage, fair share, the backfill reservation.
    var book: QueueBook
    /// Node states as recorded (drain reason, actor, time), by node name.
    var nodeRecords: [String: NodeStateRecord]
    /// Pending and running jobs as stored.
    var jobCache: JobCache
    /// Set when resources were freed or nodes came up since the last full scheduling pass: until then a
    /// pending job that did not fit still does not, and a new submission only needs itself tried.
    var needsFullPass = true
    /// Agents heard from since start, by node.
    var connections: [String: AgentConnection] = [:]
    var waiters = OrderWaiters()
    /// Steps waiting for their agents, and every step's record (in memory only).
    var steps = StepBook()
    /// Issues and checks the job credentials `srun` uses.
    let stepCredential: StepCredential
    /// When this controller started (monotonic), for nodes that never registered since.
    let startedAt = ContinuousClock.now
    /// Submissions waiting for the next group commit: each a group (one job, or an array's tasks).
    /// When each node's agent was last heard, as its requests arrive (`heard(_:by:)`), before the actor
    /// serves them.
    nonisolated let arrivals = Mutex<[String: ContinuousClock.Instant]>([:])
    /// Each user's submissions per minute (`spec.admission`).
    var submissionRate = SubmissionRate()
    /// Jobs of submissions accepted but not yet recorded, per user (counted against `maxJobsPerUser`).
    var submitting: [String: Int] = [:]
    /// Submissions waiting for the next batch (`flushSubmissions`).
    var submitQueue: [([JobSubmission], CheckedContinuation<Result<[Int64], ControllerError>, Never>)] = []
    /// A flush is scheduled or under way: it takes every batch queued until the queue is empty.
    var flushScheduled = false
    /// Job rows changed in memory and not yet committed, in order (`ControllerCore+Durability`).
    var unflushed: [Job] = []
    /// Runs that ended with those changes, committed with them (`job_runs`).
    var unflushedRuns: [JobRun] = []
    /// The latest sample of each running job's run, by node (`ControllerCore+Efficiency`).
    var runUsage: [Int64: [String: RunUsage]] = [:]
    /// Since when (seconds since the epoch) every sampled GPU of a running job has been under the idle threshold.
    var gpusIdleSince: [Int64: Double] = [:]
    /// Jobs whose idle GPUs were announced (logged, the hook run) since they went idle.
    var idleAnnounced: Set<Int64> = []
    var flushing = false
    var flushWaiters: [CheckedContinuation<Void, Never>] = []
    /// Bumped on every change of nodes; estimates are cached per (this, the job cache's) version.
    var nodeVersion = 0
    var estimateCache: (version: Int, at: Int64, starts: [Int64: Int64])?
    public nonisolated let metrics = ControllerMetrics()
    /// Jobs held by a dependency or an array's cap, and what dependencies need between passes.
    var dependencyBook = DependencyBook()
    /// Passes held back while a batch of transitions is applied (`withOnePass`), and, when one is due, the
    /// latest of the events that called for it.
    var passesHeld = 0
    var heldPassEvent: Timestamp?
    /// The time the transitions of a `withOnePass` batch are recorded at, while one is applied.
    var batchStamp: Timestamp?
    /// Signals for running jobs not yet handed to their nodes' agents (`signal(_:_:by:)`), by node.
    var pendingSignals: [String: [SignalOrder]] = [:]

    /// Milliseconds since the epoch, from the wall clock.
    public static let wallMillis: @Sendable () -> Int64 = {
        Timestamp(epochSeconds: Date().timeIntervalSince1970)?.millis ?? 0
    }
    /// Seconds since the epoch, from the wall clock (the floor of `wallMillis`).
    public static let wallClock: @Sendable () -> Int64 = { Timestamp.seconds(ofMillis: wallMillis()) }

    /// Rebuilds the engine's state from `store`. Call `schedule()` next for the jobs left pending.
    ///
    /// `millisClock` reads milliseconds since the epoch. `clock`, when given, is read instead: whole seconds
    /// since the epoch, each taken as its first millisecond.
    public init(
        spec: ClusterSpec, store: StateStore, settings: ControllerSettings = ControllerSettings(),
        logger: Logger = Logger(label: "raspored.controller"),
        clock: (@Sendable () -> Int64)? = nil,
        millisClock: @escaping @Sendable () -> Int64 = ControllerCore.wallMillis
    ) throws(ControllerError) {
        self.spec = spec
        self.store = store
        self.settings = settings
        self.stepCredential = StepCredential.load(besideStoreAt: store.path)
        self.logger = logger
        let read: @Sendable () -> Int64
        if let clock { read = { clock() * 1000 } } else { read = millisClock }
        self.millisClock = read
        let now = Timestamp(millis: read())
        var (state, records, jobs) = try Self.reload(spec: spec, store: store, logger: logger, at: now)
        // No agent has registered with this controller yet.
        if settings.requireAgents { for i in spec.nodes.indices { state.setAvailability(node: i, .down) } }
        self.state = state
        self.nodeRecords = records
        var cache = JobCache()
        for job in jobs { cache.remember(job) }
        self.jobCache = cache
        self.book = Self.makeBook(spec: spec, live: jobs, store: store, now: now.seconds, logger: logger)
    }

    /// Now, to the millisecond: the time the controller records.
    nonisolated func timestamp() -> Timestamp { Timestamp(millis: millisClock()) }

    /// Now in whole seconds (the floor of `timestamp()`): the engine's time.
    nonisolated func clock() -> Int64 { timestamp().seconds }

    var live: [Int64: Job] { jobCache.live }
    var pendingIds: [Int64] { jobCache.pendingIds }
    var onNode: [String: Set<Int64>] { jobCache.onNode }
    var version: Int { jobCache.version + nodeVersion }

    func remember(_ job: Job) {
        let before = jobCache.live[job.id]?.state
        jobCache.remember(job)
        if let before, before != job.state { dependencyTargetChanged(job) }
    }

    /// The engine's state as the store has it: node availabilities, then running jobs' allocations; and the
    /// pending and running jobs.
    static func reload(
        spec: ClusterSpec, store: StateStore, logger: Logger, at now: Timestamp
    ) throws(ControllerError) -> (ClusterState, [String: NodeStateRecord], [Job]) {
        var state = ClusterState(spec: spec)
        var records: [String: NodeStateRecord] = [:]
        var live: [Job] = []
        do {
            for r in try store.nodeStates() {
                records[r.node] = r
                guard let i = spec.nodeIndex(named: r.node) else {
                    logger.warning(
                        "node state for a node not in the cluster description", metadata: ["node": "\(r.node)"])
                    continue
                }
                state.setAvailability(node: i, r.state)
            }
            let running = try store.jobs(filter: JobFilter(states: [.running], environments: true))
            for job in running {
                guard let view = job.allocation, let allocation = spec.allocation(from: view) else {
                    // Its node left cluster.yaml: the job cannot be running there any more.
                    let gone = job.nodes.first { spec.nodeIndex(named: $0) == nil } ?? job.nodes.first ?? "?"
                    let t = try store.transition(job.id, .nodeLost(node: gone, requeue: true, at: now))
                    logger.warning(
                        "running job's node is not in the cluster description",
                        metadata: ["job": "\(job.id)", "node": "\(gone)", "now": "\(t.job.state)"])
                    continue
                }
                do {
                    try state.commit(allocation)
                } catch {
                    throw ControllerError(
                        .internalError,
                        "state: job \(job.id)'s allocation overlaps another running job's (\(error)); "
                            + "refusing to start rather than give a GPU twice")
                }
                live.append(job)
            }
            live += try store.jobs(filter: JobFilter(states: [.pending], environments: true))
            logger.info(
                "state reloaded",
                metadata: ["running": "\(running.count)", "nodeStates": "\(records.count)"])
        } catch let e as ControllerError {
            throw e
        } catch let e as StateStoreError {
            throw .store(e)
        } catch {
            throw ControllerError(.internalError, "\(error)")
        }
        return (state, records, live)
    }

    /// The engine's state now (a copy), for checks and metrics.
    public var clusterState: ClusterState { state }

    /// Runs `body` against the store, turning its failures into controller errors.
    nonisolated func stored<T>(_ body: () throws(StateStoreError) -> T) throws(ControllerError) -> T {
        do { return try body() } catch { throw .store(error) }
    }

    /// Refuses principals that are not admins.
    func requireAdmin(_ p: Principal, to what: String) throws(ControllerError) {
        guard p.role == .admin else {
            throw ControllerError(.forbidden, "only an admin may \(what); \(p.user) is not one")
        }
    }
}
