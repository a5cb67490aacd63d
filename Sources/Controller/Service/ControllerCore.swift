import Foundation
import Logging
import RasporedAPI
import Scheduler

/// The controller's service core: the engine's `ClusterState` kept in step with the durable `StateStore`.
///
/// Every change is written to the store (committed, fsynced) before the engine's state follows and before
/// the caller hears of it. On start it rebuilds the engine's state from the store: running jobs' allocations
/// are committed again and node states applied, so a restart never gives a GPU twice. An actor: one
/// decision at a time, in the order requests arrive. Agents are not connected yet: a started job stays
/// `running` and a stop request stays requested until the agent step reports exits.
public actor ControllerCore {
    public nonisolated let spec: ClusterSpec
    nonisolated let store: StateStore
    let logger: Logger
    let clock: @Sendable () -> Int64
    var state: ClusterState
    /// Node states as recorded (drain reason, actor, time), by node name.
    var nodeRecords: [String: NodeStateRecord]

    /// Seconds since the epoch, from the wall clock.
    public static let wallClock: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }

    /// Rebuilds the engine's state from `store`. Call `schedule()` next for the jobs left pending.
    public init(
        spec: ClusterSpec, store: StateStore, logger: Logger = Logger(label: "raspored.controller"),
        clock: @escaping @Sendable () -> Int64 = ControllerCore.wallClock
    ) throws(ControllerError) {
        self.spec = spec
        self.store = store
        self.logger = logger
        self.clock = clock
        let (state, records) = try Self.reload(spec: spec, store: store, logger: logger, at: clock())
        self.state = state
        self.nodeRecords = records
    }

    /// The engine's state as the store has it: node availabilities, then running jobs' allocations.
    static func reload(
        spec: ClusterSpec, store: StateStore, logger: Logger, at now: Int64
    ) throws(ControllerError) -> (ClusterState, [String: NodeStateRecord]) {
        var state = ClusterState(spec: spec)
        var records: [String: NodeStateRecord] = [:]
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
            let running = try store.jobs(filter: JobFilter(states: [.running]))
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
            }
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
        return (state, records)
    }

    /// Who holds this bearer secret; nil for an unknown one. Reads the store without waiting for the actor.
    public nonisolated func authenticate(_ secret: String) throws(ControllerError) -> Principal? {
        do { return try store.authenticate(secret) } catch { throw .store(error) }
    }

    /// The engine's state now (a copy), for checks and metrics.
    public var clusterState: ClusterState { state }

    /// Runs `body` against the store, turning its failures into controller errors.
    func stored<T>(_ body: () throws(StateStoreError) -> T) throws(ControllerError) -> T {
        do { return try body() } catch { throw .store(error) }
    }

    /// Refuses principals that are not admins.
    func requireAdmin(_ p: Principal, to what: String) throws(ControllerError) {
        guard p.role == .admin else {
            throw ControllerError(.forbidden, "only an admin may \(what); \(p.user) is not one")
        }
    }
}
