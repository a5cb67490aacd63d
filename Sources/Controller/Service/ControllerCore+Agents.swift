import Foundation
import Logging
import RasporedAPI
import Scheduler

extension ControllerCore {
    /// An agent registers its node: the hardware it found is checked against cluster.yaml (a node that
    /// differs stays out of service with the differences as its reason), the runs it reports are
    /// reconciled with the jobs, and the node takes work if it matches.
    public func register(_ r: AgentRegistration, node: String, by p: Principal) async throws(ControllerError)
        -> AgentRegistrationReply
    {
        try authorizeAgent(p, node: node)
        let i = try nodeIndex(node)
        guard r.node == node else {
            throw ControllerError(.badRequest, "the registration names node '\(r.node)', the path '\(node)'")
        }
        let declared = spec.nodeType(of: spec.nodes[i])
        let differences = NodeCheck.compare(r.discovered, with: declared)
        let mismatches = differences.filter { $0.severity == .mismatch }
        let status: AgentConnection.Status =
            mismatches.isEmpty
            ? .connected
            : .invalid(
                "hardware differs from cluster.yaml (\(spec.nodes[i].type)): "
                    + mismatches.map(\.description).joined(separator: "; "))
        connections[node] = AgentConnection(
            status: status, lastSeen: .now, lastSeenEpoch: clock(), differences: differences,
            reported: Dictionary(r.runs.map { ($0.runId, $0) }, uniquingKeysWith: { _, b in b }))
        switch status {
        case .invalid(let why):
            logger.warning(
                "agent registered, node kept out of service", metadata: ["node": "\(node)", "reason": "\(why)"])
        default:
            logger.notice(
                "agent registered",
                metadata: ["node": "\(node)", "runs": "\(r.runs.count)", "version": "\(r.version ?? "?")"])
        }
        refreshAvailability(i)
        withOnePass { apply(r.runs, from: node) }
        if needsFullPass { schedule() }
        await durable()
        return AgentRegistrationReply(
            node: node, accepted: mismatches.isEmpty, differences: differences,
            heartbeatSeconds: settings.heartbeatSeconds, downAfterSeconds: settings.downAfterSeconds,
            leaseSeconds: settings.leaseSeconds, killGraceSeconds: settings.killGraceSeconds,
            orders: orders(for: node))
    }

    /// A heartbeat: the runs the agent knows. Answers with orders at once when there are any; otherwise
    /// holds the request up to `wait` seconds for some (a long poll).
    public func heartbeat(_ h: AgentHeartbeat, node: String, wait: Double, by p: Principal)
        async throws(ControllerError)
        -> AgentOrders
    {
        try authorizeAgent(p, node: node)
        _ = try nodeIndex(node)
        guard var c = connections[node], c.isLive else { return AgentOrders(reregister: true) }
        c.lastSeen = .now
        c.lastSeenEpoch = clock()
        c.reported = Dictionary(h.runs.map { ($0.runId, $0) }, uniquingKeysWith: { _, b in b })
        connections[node] = c
        withOnePass { apply(h.runs, from: node) }
        var o = orders(for: node)
        if o.isEmpty && wait > 0 {
            let seconds = min(wait, 60)
            await withCheckedContinuation { (k: CheckedContinuation<Void, Never>) in
                let ticket = waiters.add(node, k)
                Task {
                    try? await Task.sleep(for: .seconds(seconds))
                    await self.expireWaiter(node, ticket)
                }
            }
            guard connections[node]?.isLive == true else { return AgentOrders(reregister: true) }
            connections[node]?.lastSeen = .now
            connections[node]?.lastSeenEpoch = clock()
            o = orders(for: node)
        }
        await durable()
        // Signals go out once: the answer carries them, and a lost answer loses them (as a lost kill would).
        if o.signal != nil { pendingSignals[node] = nil }
        return o
    }

    func expireWaiter(_ node: String, _ ticket: Int) { waiters.expire(node, ticket) }

    /// What `node`'s agent should do now, from the jobs' states and its latest report: launch the current
    /// runs it does not know, stop runs that are stale or asked to stop, forget ended runs.
    func orders(for node: String) -> AgentOrders {
        guard let c = connections[node], c.isLive else { return AgentOrders(reregister: true) }
        var o = AgentOrders()
        var current: Set<String> = []
        for id in (onNode[node] ?? []).sorted() {
            guard let job = live[id], job.state == .running else { continue }
            let runId = RunId.make(job: job.id, attempt: job.requeueCount)
            current.insert(runId)
            let reported = c.reported[runId]
            if let stop = job.stopRequest {
                if let r = reported, !r.phase.isFinal {
                    o.stop.append(StopOrder(runId: runId, why: Self.why(stop.kind), message: Self.words(stop)))
                }
            } else if reported == nil, let assignment = assignment(job, on: node) {
                o.launch.append(assignment)
            }
        }
        if let signals = pendingSignals[node] {
            o.signal = signals.filter { current.contains($0.runId) }
        }
        for (runId, r) in c.reported.sorted(by: { $0.key < $1.key }) where !current.contains(runId) {
            if r.phase.isFinal {
                o.acknowledged.append(runId)
            } else {
                o.stop.append(StopOrder(runId: runId, why: .unknown, message: "no such run on \(node) any more"))
            }
        }
        let steps = steps.orders(for: node)
        if !steps.isEmpty { o.steps = steps }
        return o
    }

    func assignment(_ job: Job, on node: String) -> RunAssignment? {
        guard let a = job.allocation, let mine = a.nodes.first(where: { $0.node == node }) else { return nil }
        // The job's command runs once, on its first node; the others hold their share for its steps.
        let command = mine.node == a.nodes.first?.node ? job.command : RunAssignment.holdCommand
        var assignment = RunAssignment(
            runId: RunId.make(job: job.id, attempt: job.requeueCount), jobId: job.id, name: job.name, user: job.user,
            command: command, workdir: job.workdir, output: job.output, allocation: mine,
            nodeList: a.nodes.map(\.node), timeLimitSeconds: job.timeLimit.seconds,
            environment: (job.environment ?? [:]).merging(Self.schedulerVariables(job)) { _, scheduler in scheduler },
            array: job.array)
        // The agent refuses a uid-0 account unless cluster.yaml names the user.
        if spec.rootUsers.contains(job.user) { assignment.allowRoot = true }
        let c = job.controls
        assignment.error = c.error
        // A requeued job's later runs append to what the earlier ones wrote, as do the other nodes' runs.
        assignment.truncateOutput = c.openMode == .truncate && job.requeueCount == 0 && mine.node == a.nodes.first?.node
        assignment.warning = c.warning
        assignment.killGraceSeconds = c.killGrace
        assignment.tasks = c.tasks
        assignment.stepCredential = stepCredential.issue(runId: assignment.runId)
        return assignment
    }

    /// The variables the controller adds to a job's environment, Raspored's and Slurm's names: account,
    /// partition, user, and the directory it was submitted from.
    static func schedulerVariables(_ job: Job) -> [String: String] {
        [
            "RASPORED_ACCOUNT": job.account, "RASPORED_PARTITION": job.partition, "RASPORED_USER": job.user,
            "SLURM_JOB_ACCOUNT": job.account, "SLURM_JOB_PARTITION": job.partition, "SLURM_JOB_USER": job.user,
            "SLURM_SUBMIT_DIR": job.controls.submitDir ?? job.workdir,
        ]
    }

    /// Reconciles reported runs with the jobs: the end of a job's current run on its first node ends the job.
    /// A current run reported `stopped` that nobody asked to stop was stopped by its agent when its lease
    /// lapsed (the agent heard nothing from the controller for the lease): that is the node's failure, not
    /// the job's, so the job is requeued as for a node declared down (or failed, for `noRequeue` jobs),
    /// whichever of its nodes reported it.
    func apply(_ runs: [RunStatus], from node: String) {
        noteUsage(runs, from: node)
        for r in runs where r.phase == .stopped {
            guard let (id, attempt) = RunId.parse(r.runId), let job = live[id], job.state == .running,
                job.requeueCount == attempt, job.stopRequest == nil, job.nodes.contains(node)
            else { continue }
            do {
                let t = try record(id, .nodeLost(node: node, requeue: settings.requeueOnNodeLoss, at: timestamp()))
                logger.warning(
                    "job's run stopped by its agent (lease lapsed)",
                    metadata: [
                        "job": "\(id)", "node": "\(node)", "reason": "\(r.reason ?? "-")", "now": "\(t.job.state)",
                    ])
            } catch {
                logger.error("cannot record a lapsed lease", metadata: ["run": "\(r.runId)", "error": "\(error)"])
            }
        }
        for r in runs where r.phase.isFinal {
            guard let (id, attempt) = RunId.parse(r.runId), let job = live[id], job.state == .running,
                job.requeueCount == attempt, job.nodes.first == node
            else { continue }
            let at = Self.endTime(reported: r.endedAt, started: job.startMillis, now: timestamp())
            do {
                if r.phase == .timedOut && job.stopRequest == nil { try record(id, .timeLimit(at: at)) }
                let t = try record(id, .exit(code: r.exitCode, signal: r.signal, at: at)) { j in
                    if let reason = r.reason, j.state == .failed, j.endReason == nil {
                        j.endReason = r.phase == .lost ? "lost: \(reason)" : reason
                    }
                    // As reported, when it is a length of time at all (an agent's numbers are checked too).
                    j.cpuSeconds = r.cpuSeconds.flatMap { $0.isFinite && $0 >= 0 && $0 < 1e12 ? $0 : nil }
                    j.peakMemoryBytes = r.peakMemoryBytes
                }
                logger.info(
                    "job ended",
                    metadata: [
                        "job": "\(id)", "state": "\(t.job.state)", "node": "\(node)",
                        "exit": "\(r.exitCode.map(String.init) ?? "-")",
                        "signal": "\(r.signal.map(String.init) ?? "-")",
                    ])
            } catch {
                logger.error("cannot record a run's end", metadata: ["run": "\(r.runId)", "error": "\(error)"])
            }
        }
    }

    /// When a run ended: the agent's time (seconds since the epoch) to the millisecond, when it lies between
    /// the job's start (`startMillis`) and now; otherwise now (a clock that is off, or a number no time can
    /// be, never becomes the job's end).
    nonisolated static func endTime(reported: Double?, started: Int64?, now: Timestamp) -> Timestamp {
        guard let reported, let t = Timestamp(epochSeconds: reported), t.millis >= (started ?? 0), t <= now else {
            return now
        }
        return t
    }

    /// Notes that `node`'s agent was heard now, when `p` is that agent: called by the HTTP layer as a
    /// heartbeat arrives, outside the actor, so that a core busy with a large submission or a long pass does
    /// not declare live nodes down (and requeue their jobs) for heartbeats it has not yet served.
    public nonisolated func heard(_ node: String, by p: Principal) {
        guard p.role == .agent, p.node == node else { return }
        arrivals.withLock { $0[node] = .now }
    }

    /// Declares down the nodes whose agents have been silent past the timeout (their jobs are requeued or
    /// failed), stops jobs the agents let run past their time limit, and runs a full pass when a
    /// reservation's window is over. Called about once a second.
    public func sweep() async {
        announceIdleGPUs()
        let now = ContinuousClock.now
        let limit = Duration.seconds(settings.downAfterSeconds)
        for (i, node) in spec.nodes.enumerated() {
            let name = node.name
            let silent: String?
            if let c = connections[name] {
                let heard = max(c.lastSeen, arrivals.withLock { $0[name] } ?? c.lastSeen)
                silent =
                    c.isLive && now - heard > limit
                    ? "no heartbeat for \(Int(settings.downAfterSeconds))s" : nil
            } else {
                silent =
                    now - startedAt > limit && !(onNode[name]?.isEmpty ?? true)
                    ? "agent did not register within \(Int(settings.downAfterSeconds))s of the controller's start"
                    : nil
            }
            guard settings.requireAgents, let why = silent else { continue }
            connections[name] = AgentConnection(
                status: .lost(why), lastSeen: connections[name]?.lastSeen ?? startedAt,
                lastSeenEpoch: connections[name]?.lastSeenEpoch ?? clock(), differences: [], reported: [:])
            refreshAvailability(i)
            logger.warning("node down", metadata: ["node": "\(name)", "reason": "\(why)"])
            metrics.nodesLost.increment()
            for id in (onNode[name] ?? []).sorted() {
                do {
                    let t = try record(
                        id, .nodeLost(node: name, requeue: settings.requeueOnNodeLoss, at: timestamp()))
                    logger.warning(
                        "job's node lost", metadata: ["job": "\(id)", "node": "\(name)", "now": "\(t.job.state)"])
                } catch {
                    logger.error("cannot record a node loss", metadata: ["job": "\(id)", "error": "\(error)"])
                }
            }
            waiters.wake(name)
        }
        let stamp = timestamp()
        let t = stamp.seconds
        for job in live.values where job.state == .running && job.stopRequest == nil {
            guard let start = job.startTime, t > start + job.timeLimit.seconds + settings.timeLimitGraceSeconds
            else { continue }
            do { try record(job.id, .timeLimit(at: stamp)) } catch {
                logger.error("cannot record a time limit", metadata: ["job": "\(job.id)", "error": "\(error)"])
            }
        }
        endReservationWindows()
        admitDueBegins()
        await durable()
    }

    /// Agent endpoints take the node's own agent token, or an admin's.
    func authorizeAgent(_ p: Principal, node: String) throws(ControllerError) {
        switch p.role {
        case .admin: return
        case .agent where p.node == node: return
        case .agent: throw ControllerError(.forbidden, "this agent token belongs to node \(p.node ?? "?"), not \(node)")
        case .user:
            throw ControllerError(
                .forbidden, "only node agents (or admins) may use agent endpoints; \(p.user) is a user")
        }
    }

    static func why(_ kind: JobStopRequest.Kind) -> StopOrder.Why {
        switch kind {
        case .cancel: .cancel
        case .timeLimit: .timeLimit
        case .requeue: .requeue
        }
    }

    static func words(_ s: JobStopRequest) -> String {
        switch s.kind {
        case .cancel: "cancelled by \(s.by ?? "?")"
        case .timeLimit: "time limit reached"
        case .requeue: "requeued by \(s.by ?? "?")"
        }
    }
}
