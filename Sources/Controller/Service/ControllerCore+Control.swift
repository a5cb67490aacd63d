import Logging
import RasporedAPI
import Scheduler

/// A job's owner (or an admin) controlling it after submission, as Slurm's `scontrol hold | release |
/// update` and `scancel --signal` do: a reference to an array's first task acts on every task it applies to.
///
/// A user's hold may be released by the user or an admin; an admin's hold only by an admin. Only pending jobs
/// are held, released or updated; only running ones are signalled.
extension ControllerCore {
    /// The actions, for messages and the audit log.
    enum Control {
        case hold, release, update(JobUpdateRequest), signal(SignalRequest)

        var verb: String {
            switch self {
            case .hold: "hold"
            case .release: "release"
            case .update: "update"
            case .signal: "signal"
            }
        }

        var done: String {
            switch self {
            case .hold: "held"
            case .release: "released"
            case .update: "updated"
            case .signal: "signalled"
            }
        }

        var auditAction: AuditAction {
            switch self {
            case .hold: .jobHold
            case .release: .jobRelease
            case .update: .jobUpdate
            case .signal: .jobSignal
            }
        }

        /// The state a job must be in.
        var state: JobState {
            if case .signal = self { return .running }
            return .pending
        }
    }

    public func hold(_ ref: JobReference, by p: Principal) async throws(ControllerError) -> ReferenceOutcome {
        try await control(ref, .hold, by: p)
    }

    public func release(_ ref: JobReference, by p: Principal) async throws(ControllerError) -> ReferenceOutcome {
        try await control(ref, .release, by: p)
    }

    public func update(_ ref: JobReference, _ u: JobUpdateRequest, by p: Principal) async throws(ControllerError)
        -> ReferenceOutcome
    {
        try await control(ref, .update(u), by: p)
    }

    public func signal(_ ref: JobReference, _ s: SignalRequest, by p: Principal) async throws(ControllerError)
        -> ReferenceOutcome
    {
        try await control(ref, .signal(s), by: p)
    }

    /// Applies `action` to the job `ref` names, or to every task of the array it names that is in the state
    /// the action needs; an admin's action on another user's job is audited.
    func control(_ ref: JobReference, _ action: Control, by p: Principal) async throws(ControllerError)
        -> ReferenceOutcome
    {
        let id = try jobId(ref)
        let first = try job(id)
        try authorize(p, for: first, to: action.verb)
        let audited = p.role == .admin && first.user != p.user
        do {
            let outcome = try await apply(action, ref: ref, first: first, by: p)
            if audited { audit(p, action.auditAction, "job \(ref)", .ok, "job of \(first.user)") }
            return outcome
        } catch {
            if audited {
                audit(
                    p, action.auditAction, "job \(ref)", error.kind == .internalError ? .failed : .refused,
                    error.message)
            }
            throw error
        }
    }

    private func apply(_ action: Control, ref: JobReference, first: Job, by p: Principal) async throws(ControllerError)
        -> ReferenceOutcome
    {
        let isArray: Bool
        if case let .job(id) = ref, first.array?.arrayJobId == id { isArray = true } else { isArray = false }
        guard isArray, let arrayId = first.array?.arrayJobId else {
            try change(first.id, action, by: p)
            await settle(action)
            return .job(try view(try job(first.id)))
        }
        let tasks = live.values.filter { $0.array?.arrayJobId == arrayId && $0.state == action.state }
            .map(\.id).sorted()
        guard !tasks.isEmpty else {
            throw ControllerError(
                .conflict, "array \(arrayId) has no \(action.state) task to \(action.verb)")
        }
        // Tasks it cannot apply to are left as they are; when it applies to none, the first one's reason.
        var refusals: [ControllerError] = []
        for t in tasks {
            do throws(ControllerError) { try change(t, action, by: p) } catch { refusals.append(error) }
        }
        if refusals.count == tasks.count { throw refusals[0] }
        await settle(action)
        return .array(tasks.compactMap { live[$0].map { JobView($0) } })
    }

    /// What follows a change: held jobs leave the pass, released and updated ones may start now.
    private func settle(_ action: Control) async {
        switch action {
        case .hold: passIfLineLeft()
        case .release, .update:
            needsFullPass = true
            schedule()
        case .signal: break
        }
        settleDependencies()
        await durable()
    }

    /// Changes one job (recorded with the next commit) or explains why not.
    private func change(_ id: Int64, _ action: Control, by p: Principal) throws(ControllerError) {
        guard var j = live[id], j.state == action.state else {
            let state = (try? job(id).state).map { "\($0)" } ?? "unknown"
            throw ControllerError(
                .conflict,
                "job \(id) is \(state); only \(action.state) jobs can be \(action.done)")
        }
        switch action {
        case .hold:
            j.controls.hold = p.role == .admin ? .admin : .user
        case .release:
            guard let h = j.controls.hold else { throw ControllerError(.conflict, "job \(id) is not held") }
            if h == .admin && p.role != .admin {
                throw ControllerError(.forbidden, "job \(id) is held by an admin; only an admin may release it")
            }
            j.controls.hold = nil
        case let .update(u):
            try update(&j, u, by: p)
        case let .signal(s):
            try signal(j, s)
            logger.info(
                "job signalled",
                metadata: ["job": "\(id)", "signal": "\(SignalName.name(s.signal))", "by": "\(p.user)"])
            return
        }
        if let h = j.controls.hold {
            j.pendingReason = Self.holdReason(h, j)
            dependencyBook.held.insert(id)
        } else {
            // A changed job is asked again why it waits (its old reason may no longer hold).
            j.pendingReason = nil
            dependencyBook.held.remove(id)
        }
        remember(j)
        queueWrite(j)
        logger.info("job \(action.verb)", metadata: ["job": "\(id)", "by": "\(p.user)"])
    }

    private func update(_ j: inout Job, _ u: JobUpdateRequest, by p: Principal) throws(ControllerError) {
        if let nice = u.nice {
            if nice < 0 && p.role != .admin {
                throw ControllerError(.forbidden, "only admins may give a negative nice value (\(nice))")
            }
            j.controls.nice = nice
        }
        if let t = u.time {
            var request = j.request
            request.time = t
            request.partition = j.partition
            if case let .failure(refusal) = state.place(request), refusal.kind != .notNow {
                throw ControllerError(.badRequest, refusal.reason)
            }
            if let why = QueueBook.neverWithinLimits(
                spec: spec, account: j.account, gpus: j.request.gpuCount ?? 0, storage: j.request.storage ?? .zero,
                timeLimit: t.seconds)
            {
                throw ControllerError(.badRequest, why)
            }
            j.request.time = t
            j.timeLimit = t
        }
        if let d = u.dependency {
            j.dependency = try d.map { (d) throws(ControllerError) in try resolve(d, by: p) }
        }
        if let b = u.begin {
            let t = b.resolve(now: clock())
            j.controls.begin = t > clock() ? t : nil
        }
        if let name = u.name { j.name = name }
    }

    /// Queues a signal for each of the job's nodes' agents, and wakes them.
    private func signal(_ j: Job, _ s: SignalRequest) throws(ControllerError) {
        guard j.stopRequest == nil else {
            throw ControllerError(.conflict, "job \(j.id) is already being stopped; it is not signalled")
        }
        let runId = RunId.make(job: j.id, attempt: j.requeueCount)
        // The batch shell runs on the first node: a batch-only signal goes there alone.
        let nodes = s.batchOnly ? Array(j.nodes.prefix(1)) : j.nodes
        for node in nodes {
            pendingSignals[node, default: []].append(
                SignalOrder(runId: runId, signal: s.signal, batchOnly: s.batchOnly))
            waiters.wake(node)
        }
    }
}
