import RasporedAPI

/// The controller's steps: those waiting for their agents to dial back (their orders go out in each node's
/// heartbeat replies until its agent does), and every step's record for `GET /v1/jobs/{id}/steps`.
///
/// Kept in memory only: a controller restart forgets the records (and cuts every step's stream, whose
/// agents then end the steps). Bounded: at most `maxLive` steps starting or running per job,
/// `maxRecords` records per job (the oldest ended ones go first), for at most `maxJobs` jobs (the lowest
/// job ids go first).
struct StepBook: Sendable {
    static let maxLive = 64
    static let maxRecords = 1000
    /// Jobs whose records are kept; past it the lowest job id's go.
    static let maxJobs = 10_000

    /// A step whose agents have not all dialled back yet.
    struct Waiting: Sendable {
        var order: StepOrder
        /// The agents' connections so far, by node.
        var legs: [String: AgentLeg] = [:]
        var continuation: CheckedContinuation<[AgentLeg]?, Never>?

        var isComplete: Bool { legs.count == order.nodes.count }
        /// The connections in the step's node order (its first node's first: it gets the step's input).
        var ordered: [AgentLeg] { order.nodes.compactMap { legs[$0] } }
    }

    private(set) var waiting: [String: Waiting] = [:]
    private var records: [Int64: [StepView]] = [:]
    private var next: [Int64: Int] = [:]

    /// Records a new step of `jobId` on `nodes` and returns its order.
    mutating func open(
        jobId: Int64, runId: String, nodes: [String], request: StepRequest, at now: Int64
    ) throws(ControllerError) -> StepOrder {
        let live = (records[jobId] ?? []).filter { $0.state == .starting || $0.state == .running }.count
        guard live < Self.maxLive else {
            throw ControllerError(
                .tooManyRequests(retryAfter: 1), "job \(jobId) has \(live) steps running; at most \(Self.maxLive)")
        }
        let step = next[jobId, default: 0]
        next[jobId] = step + 1
        let order = StepOrder(jobId: jobId, runId: runId, step: step, nodes: nodes, request: request)
        waiting[order.key] = Waiting(order: order)
        var list = records[jobId] ?? []
        list.append(
            StepView(
                id: order.key, step: step, command: request.command, nodes: nodes, pty: request.pty,
                state: .starting, startTime: now))
        list[list.count - 1].tasksPerNode = request.tasksPerNode
        if list.count > Self.maxRecords, let i = list.firstIndex(where: { $0.endTime != nil }) { list.remove(at: i) }
        records[jobId] = list
        if records.count > Self.maxJobs, let oldest = records.keys.min() { forget(oldest) }
        return order
    }

    /// At most about this many bytes of step orders go in one heartbeat reply (the agent reads a reply of at
    /// most 16 MiB); the rest go in the next ones.
    static let maxOrderBytesPerReply = 4 << 20

    /// Steps waiting for `node`'s agent to dial back, oldest first, up to `maxOrderBytesPerReply` (at least
    /// one).
    func orders(for node: String) -> [StepOrder] {
        let all = waiting.values.filter { $0.order.nodes.contains(node) && $0.legs[node] == nil }.map(\.order)
            .sorted { ($0.jobId, $0.step) < ($1.jobId, $1.step) }
        var bytes = 0
        var out: [StepOrder] = []
        for order in all {
            bytes += order.approximateBytes
            if !out.isEmpty && bytes > Self.maxOrderBytesPerReply { break }
            out.append(order)
        }
        return out
    }

    /// The client waits for the agents of step `key`: resumed at once with their connections if all are
    /// there, with nil if the step no longer waits, else when the last dials back or the wait is given up.
    mutating func park(_ key: String, _ c: CheckedContinuation<[AgentLeg]?, Never>) {
        guard let w = waiting[key], w.continuation == nil else { return c.resume(returning: nil) }
        if w.isComplete {
            waiting[key] = nil
            c.resume(returning: w.ordered)
        } else {
            waiting[key]?.continuation = c
        }
    }

    /// The agent of `node` dialled back for `key`; once every node's has, the step's client gets them all.
    /// False when no such step waits for that node (or its agent already dialled back).
    mutating func connect(_ key: String, node: String, leg: AgentLeg) -> Bool {
        guard var w = waiting[key], w.order.nodes.contains(node), w.legs[node] == nil else { return false }
        w.legs[node] = leg
        waiting[key] = w
        guard w.isComplete else { return true }
        update(key) { $0.state = .running }
        if let c = w.continuation {
            waiting[key] = nil
            c.resume(returning: w.ordered)
        }
        return true
    }

    /// The step stops waiting for its agents (not all dialled back in time): it fails with `reason`, the
    /// agents that came are let go (which ends the step on their nodes), and its client gets nil.
    mutating func giveUp(_ key: String, reason: String, at now: Int64) {
        guard let w = waiting[key], !w.isComplete else { return }
        waiting[key] = nil
        end(key, state: .failed, exit: StepExit(reason: reason), at: now)
        for leg in w.legs.values { leg.done.resume() }
        w.continuation?.resume(returning: nil)
    }

    /// The nodes of step `key` whose agents have not dialled back.
    func missing(_ key: String) -> [String] {
        guard let w = waiting[key] else { return [] }
        return w.order.nodes.filter { w.legs[$0] == nil }
    }

    /// Records how step `key` ended.
    mutating func end(_ key: String, state: StepView.State, exit: StepExit?, at now: Int64) {
        update(key) { view in
            guard view.endTime == nil else { return }
            view.state = state
            view.exitCode = exit?.exitCode
            view.signal = exit?.signal
            view.reason = exit?.reason
            view.endTime = now
        }
    }

    func steps(of jobId: Int64) -> [StepView] { records[jobId] ?? [] }

    /// Drops a job's records.
    mutating func forget(_ jobId: Int64) {
        records[jobId] = nil
        next[jobId] = nil
    }

    private mutating func update(_ key: String, _ change: (inout StepView) -> Void) {
        let parts = key.split(separator: ".")
        guard parts.count == 2, let job = Int64(parts[0]), let step = Int(parts[1]),
            let i = records[job]?.firstIndex(where: { $0.step == step })
        else { return }
        change(&records[job]![i])
    }
}
