/// The job lifecycle as a pure state machine: an event and a job in, the changed job and what the owner
/// must now do out, or a precise refusal.
///
/// ```
/// pending ──start──► running ──exit 0──────────────► completed
///    │                  │ ──exit≠0 / signal──────────► failed
///    │                  │ ──cancel / timeLimit / requeue: stop requested, still running,
///    │                  │        then exit ─────────► cancelled / timeout / pending (requeued)
///    │                  │ ──nodeLost(requeue) ───────► pending (requeueCount + 1)
///    │                  │ ──nodeLost(no requeue) ────► failed
///    └──cancel──────────┴───────────────────────────► cancelled
/// ```
///
/// A running job stays `running` until its processes are known to be gone (the agent reports the exit,
/// or the node is declared lost), so its allocation is released exactly once and never while it still
/// runs. Ended jobs take no events.
public enum JobLifecycle {
    /// Something the controller learned about a job, and when (to the millisecond).
    public enum Event: Hashable, Sendable {
        /// The engine placed it and the allocation is committed.
        case start(allocation: AllocationView, at: Timestamp)
        /// Its main process ended, as the agent reports: an exit status, or the signal that killed it.
        case exit(code: Int32?, signal: Int32?, at: Timestamp)
        /// A user or admin asked to cancel it.
        case cancel(by: String, at: Timestamp)
        /// It ran past its time limit.
        case timeLimit(at: Timestamp)
        /// A node it runs on was declared lost; `requeue` is the controller's policy, which the job's
        /// no-requeue flag overrides.
        case nodeLost(node: String, requeue: Bool, at: Timestamp)
        /// An admin asked to stop it and put it back in the queue.
        case requeue(by: String, at: Timestamp)
    }

    /// What the owner must do after a transition, in order.
    public enum Action: Hashable, Sendable {
        /// Have the agents on these nodes launch the job.
        case launch(nodes: [String])
        /// Have the agents on these nodes stop the job's processes.
        case stop(nodes: [String])
        /// Return this allocation's resources to the engine (`ClusterState.release`).
        case release(AllocationView)
        /// The job is pending again: offer it to the scheduler.
        case enqueue
    }

    /// The job after the event, and the actions it calls for.
    public struct Transition: Hashable, Sendable {
        public var job: Job
        public var actions: [Action]
    }

    /// Applies `event` to `job`; throws when the job cannot take it in its state.
    public static func apply(_ event: Event, to job: Job) throws(JobTransitionError) -> Transition {
        func refuse(_ reason: JobTransitionError.Reason = .wrongState) -> JobTransitionError {
            JobTransitionError(jobId: job.id, state: job.state, event: event, reason: reason)
        }
        var j = job
        switch (event, job.state) {
        case let (.start(allocation, at), .pending):
            guard !allocation.nodes.isEmpty else { throw refuse(.emptyAllocation) }
            j.state = .running
            j.startMillis = at.millis
            j.endMillis = nil
            j.releasedMillis = nil
            j.allocation = allocation
            j.pendingReason = nil
            j.endReason = nil
            j.exitCode = nil
            j.signal = nil
            return Transition(job: j, actions: [.launch(nodes: j.nodes)])

        case let (.cancel(by, at), .pending):
            j.stopRequest = JobStopRequest(kind: .cancel, by: by, at: at.seconds)
            end(&j, as: .cancelled, at: at, reason: "cancelled by \(by) before it started")
            return Transition(job: j, actions: [])

        case let (.cancel(by, at), .running):
            // Cancelling wins over a requeue under way (the owner wants the job gone), not over a
            // time limit or an earlier cancel: those already stop it.
            if let s = job.stopRequest, s.kind != .requeue { throw refuse(.alreadyStopping(s.kind)) }
            j.stopRequest = JobStopRequest(kind: .cancel, by: by, at: at.seconds)
            return Transition(job: j, actions: [.stop(nodes: j.nodes)])

        case let (.timeLimit(at), .running):
            if let s = job.stopRequest { throw refuse(.alreadyStopping(s.kind)) }
            j.stopRequest = JobStopRequest(kind: .timeLimit, at: at.seconds)
            return Transition(job: j, actions: [.stop(nodes: j.nodes)])

        case let (.requeue(by, at), .running):
            if let s = job.stopRequest { throw refuse(.alreadyStopping(s.kind)) }
            guard !job.noRequeue else { throw refuse(.noRequeue) }
            j.stopRequest = JobStopRequest(kind: .requeue, by: by, at: at.seconds)
            return Transition(job: j, actions: [.stop(nodes: j.nodes)])

        case let (.exit(code, signal, at), .running):
            let released = job.allocation.map { [Action.release($0)] } ?? []
            j.exitCode = code
            j.signal = signal
            switch job.stopRequest?.kind {
            case .cancel:
                end(&j, as: .cancelled, at: at, reason: "cancelled by \(job.stopRequest?.by ?? "?")")
            case .timeLimit:
                end(&j, as: .timeout, at: at, reason: "time limit \(job.timeLimit) reached")
            case .requeue:
                requeue(&j, reason: "requeued by \(job.stopRequest?.by ?? "?")")
                return Transition(job: j, actions: released + [.enqueue])
            case nil:
                let clean = code == 0 && signal == nil
                end(&j, as: clean ? .completed : .failed, at: at, reason: nil)
            }
            return Transition(job: j, actions: released)

        case let (.nodeLost(node, requeuePolicy, at), .running):
            guard job.nodes.contains(node) else { throw refuse(.notOnNode(node)) }
            let others = job.nodes.filter { $0 != node }
            var actions: [Action] = others.isEmpty ? [] : [.stop(nodes: others)]
            if let a = job.allocation { actions.append(.release(a)) }
            switch job.stopRequest?.kind {
            case .cancel:
                end(&j, as: .cancelled, at: at, reason: "cancelled by \(job.stopRequest?.by ?? "?"); node \(node) lost")
            case .timeLimit:
                end(&j, as: .timeout, at: at, reason: "time limit \(job.timeLimit) reached; node \(node) lost")
            case .requeue:
                requeue(&j, reason: "requeued by \(job.stopRequest?.by ?? "?"); node \(node) lost")
                actions.append(.enqueue)
            case nil where requeuePolicy && !job.noRequeue:
                requeue(&j, reason: "requeued: node \(node) lost")
                actions.append(.enqueue)
            case nil:
                end(
                    &j, as: .failed, at: at,
                    reason: job.noRequeue ? "node \(node) lost (no-requeue)" : "node \(node) lost")
            }
            return Transition(job: j, actions: actions)

        case (.start, _), (.cancel, _), (.timeLimit, _), (.requeue, _), (.exit, _), (.nodeLost, _):
            throw refuse()
        }
    }

    private static func end(_ j: inout Job, as state: JobState, at: Timestamp, reason: String?) {
        j.state = state
        j.endMillis = at.millis
        j.endReason = reason
        j.pendingReason = nil
    }

    /// Back to pending: the allocation is released, the last run's outcome forgotten, the count kept.
    private static func requeue(_ j: inout Job, reason: String) {
        j.state = .pending
        j.requeueCount += 1
        j.startMillis = nil
        j.endMillis = nil
        j.releasedMillis = nil
        j.exitCode = nil
        j.signal = nil
        j.allocation = nil
        j.stopRequest = nil
        j.endReason = nil
        j.pendingReason = reason
    }
}
