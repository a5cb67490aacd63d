import Logging
import RasporedAPI
import Scheduler

extension ControllerCore {
    /// Validates `submission` with the engine, records it (committed before this returns), runs a scheduling
    /// pass, and returns the job as it stands after the pass: running, or pending with the engine's reason.
    public func submit(_ s: SubmitRequest, by p: Principal) throws(ControllerError) -> JobView {
        guard p.role != .agent else { throw ControllerError(.forbidden, "agent tokens cannot submit jobs") }
        // The engine's verdict on an idle-or-busy cluster: "not now" is fine, the job pends.
        if case let .failure(refusal) = state.place(s.request), refusal.kind != .notNow {
            throw ControllerError(.badRequest, refusal.reason)
        }
        let submission = try resolve(s, user: p.user)
        let id = try stored { () throws(StateStoreError) in try store.submit(submission, at: clock()) }
        logger.info(
            "job submitted",
            metadata: ["job": "\(id)", "user": "\(p.user)", "partition": "\(submission.partition)"])
        schedule()
        return JobView(try job(id))
    }

    /// The submission with the cluster's defaults applied: partition, time limit, account, name.
    func resolve(_ s: SubmitRequest, user: String) throws(ControllerError) -> JobSubmission {
        let r = s.request
        guard let partition = r.partition.flatMap(spec.partition(named:)) ?? spec.defaultPartition else {
            throw ControllerError(.badRequest, "the cluster has no partition")
        }
        let account: String
        if let a = r.account {
            account = a
        } else if partition.accounts.count == 1 {
            account = partition.accounts[0]
        } else if spec.accounts.isEmpty {
            account = user
        } else {
            throw ControllerError(
                .badRequest,
                "give an account to charge (accounts: \(spec.accounts.map(\.name).joined(separator: ", ")))")
        }
        let program = s.command[0].split(separator: "/").last.map(String.init) ?? s.command[0]
        return JobSubmission(
            name: s.name ?? program, user: user, account: account, partition: partition.name, request: r,
            timeLimit: r.time ?? partition.defaultTime, noRequeue: s.noRequeue, command: s.command,
            workdir: s.workdir, output: s.output)
    }

    /// One scheduling pass, in submission order: each pending job that fits now is placed, committed and
    /// started; each that does not gets the engine's reason as its pending reason. Returns the started ids.
    ///
    /// A placeholder queue policy (no priorities, no reservation for large jobs) until the engine's.
    @discardableResult
    public func schedule() -> [Int64] {
        let pending: [Job]
        do { pending = try store.jobs(filter: JobFilter(states: [.pending])) } catch {
            logger.error("scheduling pass cannot read the queue", metadata: ["error": "\(error)"])
            return []
        }
        var started: [Int64] = []
        for job in pending {
            switch state.place(job.request) {
            case let .success(decision):
                do {
                    try state.commit(decision.allocation)
                } catch {
                    logger.error("commit refused", metadata: ["job": "\(job.id)", "error": "\(error)"])
                    continue
                }
                let view = spec.view(of: decision.allocation)
                do {
                    let t = try store.transition(job.id, .start(allocation: view, at: clock()))
                    started.append(job.id)
                    logger.info(
                        "job started",
                        metadata: ["job": "\(job.id)", "nodes": "\(t.job.nodes.joined(separator: ","))"])
                    perform(t.actions, job: job.id)
                } catch {
                    // Not recorded, so not taken: give the resources back.
                    try? state.release(decision.allocation)
                    logger.error("cannot record a start", metadata: ["job": "\(job.id)", "error": "\(error)"])
                }
            case let .failure(refusal):
                guard job.pendingReason != refusal.reason else { continue }
                var j = job
                j.pendingReason = refusal.reason
                do { try store.update(j) } catch {
                    logger.error("cannot record a pending reason", metadata: ["job": "\(job.id)", "error": "\(error)"])
                }
            }
        }
        return started
    }

    /// Performs a transition's actions. Launches and stops wait for the agent connection (logged only).
    func perform(_ actions: [JobLifecycle.Action], job id: Int64) {
        var reschedule = false
        for action in actions {
            switch action {
            case let .release(view):
                guard let allocation = spec.allocation(from: view) else { continue }
                do {
                    try state.release(allocation)
                    reschedule = true
                } catch {
                    logger.error("release refused", metadata: ["job": "\(id)", "error": "\(error)"])
                }
            case .enqueue:
                reschedule = true
            case let .launch(nodes), let .stop(nodes):
                logger.debug("agents not connected yet", metadata: ["job": "\(id)", "nodes": "\(nodes)"])
            }
        }
        if reschedule { schedule() }
    }

    /// Cancels a job: a pending one ends now; a running one gets a stop request (its allocation is held
    /// until its processes are known to be gone). Users may cancel only their own jobs.
    public func cancel(_ id: Int64, by p: Principal) throws(ControllerError) -> JobView {
        let before = try job(id)
        try authorize(p, for: before, to: "cancel")
        let t = try stored { () throws(StateStoreError) in try store.transition(id, .cancel(by: p.user, at: clock())) }
        logger.info("job cancel", metadata: ["job": "\(id)", "by": "\(p.user)", "now": "\(t.job.state)"])
        perform(t.actions, job: id)
        return JobView(try job(id))
    }

    /// One job, as its owner or an admin may see it.
    public func job(_ id: Int64, by p: Principal) throws(ControllerError) -> JobView {
        let j = try job(id)
        try authorize(p, for: j, to: "read")
        return JobView(j)
    }

    /// Jobs, lowest id first: a user's own, or every job for an admin; optionally in one state.
    public func jobs(state: JobState? = nil, by p: Principal) throws(ControllerError) -> [JobView] {
        guard p.role != .agent else { throw ControllerError(.forbidden, "agent tokens cannot list jobs") }
        let filter = JobFilter(states: state.map { [$0] }, user: p.role == .admin ? nil : p.user)
        return try stored { () throws(StateStoreError) in try store.jobs(filter: filter) }.map { JobView($0) }
    }

    func job(_ id: Int64) throws(ControllerError) -> Job {
        guard let j = try stored({ () throws(StateStoreError) in try store.job(id) }) else {
            throw ControllerError(.notFound, "no job \(id)")
        }
        return j
    }

    func authorize(_ p: Principal, for job: Job, to what: String) throws(ControllerError) {
        switch p.role {
        case .admin: return
        case .user where job.user == p.user: return
        case .user: throw ControllerError(.forbidden, "job \(job.id) belongs to \(job.user)")
        case .agent: throw ControllerError(.forbidden, "agent tokens cannot \(what) jobs")
        }
    }
}
