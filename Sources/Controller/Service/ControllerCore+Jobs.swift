import Foundation
import Logging
import RasporedAPI
import Scheduler

extension ControllerCore {
    /// Validates `submission` with the engine, records it (committed before this returns), runs a scheduling
    /// pass, and returns the job as it stands after the pass: running, or pending with the engine's reason.
    /// An array's tasks are recorded together (all or none) and the first task is returned.
    ///
    /// Concurrent submissions are committed together (group commit): one transaction and one fsync for
    /// every submission that arrived while the previous commit was being written.
    public func submit(_ s: SubmitRequest, by p: Principal) async throws(ControllerError) -> JobView {
        let limits = spec.admission
        if p.role != .admin, let wait = submissionRate.take(p.user, perMinute: limits.submissionsPerMinute, now: .now) {
            throw ControllerError(
                .tooManyRequests(retryAfter: wait),
                "\(p.user) has made more than \(limits.submissionsPerMinute) submissions in a minute "
                    + "(security.submissionsPerMinute); try again in \(wait)s")
        }
        let group = try submissionGroup(s, by: p)
        let held = jobCache.perUser[p.user, default: 0] + submitting[p.user, default: 0]
        guard held + group.count <= limits.maxJobsPerUser else {
            throw ControllerError(
                .tooManyRequests(retryAfter: 60),
                "\(p.user) has \(held) jobs pending or running and may have at most \(limits.maxJobsPerUser) "
                    + "(security.maxJobsPerUser); this submission would add \(group.count)")
        }
        submitting[p.user, default: 0] += group.count
        defer {
            submitting[p.user, default: group.count] -= group.count
            if submitting[p.user] == 0 { submitting[p.user] = nil }
        }
        let ids = try await commitSubmission(group).get()
        await durable()
        // Without an estimated start: that costs a walk of the queue; `show` and `queue` give it.
        let first = try job(ids[0])
        return JobView(first, priority: priorityView(first))
    }

    /// What `submit` would do now, without recording anything: where the job would run, or why not and
    /// when it is expected to start.
    public func dryRun(_ s: SubmitRequest, by p: Principal) throws(ControllerError) -> DryRunReply {
        let submission = try validate(s, by: p)
        var allocation: AllocationView?
        var reason: String?
        var start: Int64?
        if let why = submission.controls.hold != nil
            ? "it would be held: it waits until released (schedctl release)"
            : submission.controls.begin.map({ "begin time \(Self.describeTime($0))" })
        {
            return DryRunReply(
                allocation: nil, reason: why, estimatedStart: submission.controls.begin,
                partition: submission.partition,
                account: submission.account, timeLimit: submission.timeLimit.seconds)
        }
        if let d = s.dependency, let why = dependencyWait(try resolve(d, by: p)) {
            return DryRunReply(
                allocation: nil, reason: why, estimatedStart: nil, partition: submission.partition,
                account: submission.account, timeLimit: submission.timeLimit.seconds)
        }
        // As a pass would: account limits and reservations first, then the engine's placement.
        let probe = Job(id: Int64.max, submission: submission, submitted: timestamp())
        switch QueuePass.trial(candidate(probe), on: &state, book: &book, now: clock()) {
        case let .success(decision): allocation = spec.view(of: decision.allocation)
        case let .failure(refusal):
            reason = refusal.reason
            start = estimatedStarts(including: probe)[probe.id]
        }
        return DryRunReply(
            allocation: allocation, reason: reason, estimatedStart: start, partition: submission.partition,
            account: submission.account, timeLimit: submission.timeLimit.seconds)
    }

    /// The engine's verdict and the cluster's defaults: throws for a request that can never run.
    func validate(_ s: SubmitRequest, by p: Principal) throws(ControllerError) -> JobSubmission {
        guard p.role != .agent else { throw ControllerError(.forbidden, "agent tokens cannot submit jobs") }
        // A user's jobs run as the Unix account of the same name on the nodes (docs/agent.md).
        if p.user == "root" && !spec.rootUsers.contains(p.user) {
            throw ControllerError(
                .forbidden, "jobs as root are refused: cluster.yaml's security.rootUsers does not name root")
        }
        // The engine's verdict on an idle-or-busy cluster: "not now" is fine, the job pends.
        if case let .failure(refusal) = state.place(s.request), refusal.kind != .notNow {
            throw ControllerError(.badRequest, refusal.reason)
        }
        if s.controls.nice < 0 && p.role != .admin {
            throw ControllerError(.forbidden, "only admins may give a negative nice value (\(s.controls.nice))")
        }
        let submission = try resolve(s, user: p.user)
        // A job its account's limits can never let start is refused like one that can never fit.
        if let why = QueueBook.neverWithinLimits(
            spec: spec, account: submission.account, gpus: submission.request.gpuCount ?? 0,
            storage: submission.request.storage ?? .zero, timeLimit: submission.timeLimit.seconds)
        {
            throw ControllerError(.badRequest, why)
        }
        return submission
    }

    /// Queues a submission (one job, or an array's tasks) for the next group commit and waits for its ids.
    func commitSubmission(_ s: [JobSubmission]) async -> Result<[Int64], ControllerError> {
        await withCheckedContinuation { c in
            submitQueue.append((s, c))
            if !flushScheduled {
                flushScheduled = true
                Task { await self.flushSubmissions() }
            }
        }
    }

    /// The most jobs a submission batch may hold to be written in the actor's own turn (`flush`).
    static let smallBatch = 256

    /// Commits every queued submission in one transaction, then tries to place them. A large batch's
    /// transaction runs off the actor (`flush`): a 10,000-task array takes a while to write, and heartbeats
    /// and other requests are served meanwhile. Submissions that arrive during it form the next batch,
    /// committed and placed after this one: batches are taken one at a time, so jobs are offered in the
    /// order of their ids (two batches written at once could come back to the actor in either order, and a
    /// later job could take the room an earlier one was offered first).
    func flushSubmissions() async {
        while !submitQueue.isEmpty {
            let batch = submitQueue
            submitQueue = []
            await flush(batch)
        }
        flushScheduled = false
    }

    /// Commits one batch of submissions, places what it can, and answers each submitter.
    ///
    /// A batch of at most `Self.smallBatch` jobs is written in the actor's own turn, so nothing else happens
    /// between its submit time and the pass that offers it (a job's end applied meanwhile would let the pass
    /// see room the recorded order says came later, and a replay of the history could not reproduce it).
    /// A larger one is written off the actor, so the heartbeats and requests it would hold up are served.
    private func flush(
        _ batch: [([JobSubmission], CheckedContinuation<Result<[Int64], ControllerError>, Never>)]
    ) async {
        let recorded: [[Job]]
        let now = timestamp()
        let store = self.store
        let groups = batch.map(\.0)
        let written: Result<[[Job]], StateStoreError>
        if groups.reduce(0, { $0 + $1.count }) <= Self.smallBatch {
            do throws(StateStoreError) { written = .success(try store.submit(groups: groups, at: now)) } catch {
                written = .failure(error)
            }
        } else {
            written = await Task.detached { () -> Result<[[Job]], StateStoreError> in
                do throws(StateStoreError) { return .success(try store.submit(groups: groups, at: now)) } catch {
                    return .failure(error)
                }
            }.value
        }
        switch written {
        case let .success(jobs): recorded = jobs
        case let .failure(error):
            logger.error("cannot record submissions", metadata: ["count": "\(batch.count)", "error": "\(error)"])
            for (_, c) in batch { c.resume(returning: .failure(.store(error))) }
            return
        }
        let ids = recorded.flatMap { $0.map(\.id) }
        metrics.submissions.increment(by: Int64(ids.count))
        for group in recorded {
            for job in group { remember(job) }
            let first = group[0]
            var metadata: Logger.Metadata = [
                "job": "\(first.id)", "user": "\(first.user)", "partition": "\(first.partition)",
            ]
            if let a = first.array { metadata["array"] = "\(a.arrayText)" }
            logger.info("job submitted", metadata: metadata)
        }
        // Nothing freed since the last full pass: only the new jobs can start now.
        schedule(only: needsFullPass ? nil : ids, event: now)
        for (group, (_, c)) in zip(recorded, batch) { c.resume(returning: .success(group.map(\.id))) }
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
        var controls = s.controls
        if let grace = controls.killGrace, grace > partition.maxKillGrace.seconds {
            throw ControllerError(
                .badRequest,
                "a kill grace of \(grace)s is longer than partition \(partition.name)'s maxKillGrace of "
                    + "\(partition.maxKillGrace)")
        }
        if let begin = s.begin {
            let t = begin.resolve(now: clock())
            controls.begin = t > clock() ? t : nil
        }
        return JobSubmission(
            name: s.name ?? program, user: user, account: account, partition: partition.name, request: r,
            timeLimit: r.time ?? partition.defaultTime, noRequeue: s.noRequeue, command: s.command,
            workdir: s.workdir, output: s.output, environment: s.environment, controls: controls)
    }

    /// One scheduling pass (the engine's `QueuePass` under cluster.yaml's queue policy): each pending job
    /// that may start now is placed, committed and started; each that may not gets the engine's reason as its
    /// pending reason. Returns the started ids. `only` limits the pass to those jobs (valid only when nothing
    /// was freed since the last full pass: they are offered against the standing backfill reservation, or wait
    /// behind the job that holds the line under strict-fifo). A pass that would offer the job holding the line
    /// again is a full one: should it start, the pass must find the next job in line.
    ///
    /// `event` is when what calls for the pass happened (an arrival's submit time, a release), read once for
    /// both: the pass decides at that moment, as the simulator's pass at that event does. The engine sees its
    /// second (a pass a few milliseconds after its event does not see the next second when the event fell just
    /// before it turned), and the jobs it starts are recorded as started then (not before their submission),
    /// so a job's recorded run, start to exit, holds the pass's few milliseconds, and a replay that starts it
    /// at the event ends it when it really ended. A pass more than a second after its event (or with none)
    /// decides at the wall clock.
    @discardableResult
    public func schedule(only requested: [Int64]? = nil, event: Timestamp? = nil) -> [Int64] {
        let began = ContinuousClock.now
        var only = requested
        if let first = book.firstInLine, only?.contains(first) == true { only = nil }
        if only == nil { needsFullPass = false }
        // Only pending jobs have candidates.
        let queue = eligible(only ?? pendingIds).compactMap { jobCache.candidates[$0] }
        // The engine's pass decides and commits; the starts are recorded after it.
        var work = QueuePass.Counters()
        var started: [(Int64, Allocation)] = []
        var reasons: [(Int64, QueuePass.Wait)] = []
        let stamp = timestamp()
        let decided = Self.decisionTime(event: event, wall: stamp)
        let now = decided.seconds
        // A reserved job that left the queue (cancelled) gives up its reservation.
        if only == nil, let head = book.reservedStart?.job, !queue.contains(where: { $0.id == head }) {
            book.withdraw(id: head)
        }
        QueuePass.run(
            on: &state, book: &book, queue: queue, now: now, complete: only == nil, work: &work,
            started: { c, decision in
                started.append((c.id, decision.allocation))
                return true
            },
            waiting: { c, wait in reasons.append((c.id, wait)) })
        var ids: [Int64] = []
        for (id, allocation) in started {
            do {
                let submitted = Timestamp(millis: live[id]?.submitMillis ?? decided.millis)
                let t = try record(id, .start(allocation: spec.view(of: allocation), at: max(decided, submitted)))
                ids.append(id)
                logger.info(
                    "job started", metadata: ["job": "\(id)", "nodes": "\(t.job.nodes.joined(separator: ","))"])
            } catch {
                try? state.release(allocation)
                book.ended(id: id, at: now)
                logger.error("cannot start a job", metadata: ["job": "\(id)", "error": "\(error)"])
            }
        }
        var told = Set(reasons.map(\.0))
        for (id, _) in started { told.insert(id) }
        // Jobs skipped for want of free GPUs keep the reason they have; a new one asks the engine for one, and
        // so does the job that holds the line under strict-fifo (it may have waited behind another until now).
        let first = book.firstInLine
        for c in queue where !told.contains(c.id) && (jobCache.pendingReasons[c.id] == .some(nil) || c.id == first) {
            if case let .failure(r) = state.place(c.request) { reasons.append((c.id, .noRoom(r))) }
        }
        // Preemption: the victims are requeued (their agents stop them, SIGTERM then SIGKILL after the agent's
        // grace); the job starts in a later pass, once their resources are back.
        for (id, wait) in reasons {
            guard case let .preempting(victims) = wait else { continue }
            for v in victims {
                do {
                    _ = try record(v, .requeue(by: "preempted by job \(id)", at: stamp))
                    logger.notice("job preempted", metadata: ["job": "\(v)", "for": "\(id)"])
                } catch {
                    book.spare(id: v)
                    logger.warning("cannot preempt a job", metadata: ["job": "\(v)", "error": "\(error)"])
                }
            }
        }
        for (id, wait) in reasons {
            // Only pending jobs have an entry; the whole job is read only when its reason changes.
            guard let current = jobCache.pendingReasons[id], let reason = wait.reason(time: Self.describeTime),
                current != reason, var j = live[id]
            else { continue }
            // Derived state: kept in memory only (recomputed by every pass, also after a restart).
            j.pendingReason = reason
            remember(j)
        }
        metrics.schedulingPass(seconds: (ContinuousClock.now - began).seconds, started: ids.count)
        return ids
    }

    /// The moment a pass decides at: its event, when the event is at most a second behind the wall clock
    /// (`schedule(only:event:)`), else the wall clock.
    static func decisionTime(event: Timestamp?, wall: Timestamp) -> Timestamp {
        guard let event, wall.millis - event.millis <= 1000 else { return wall }
        return event
    }

    /// An engine time (seconds since the epoch) in pending reasons: "2026-11-29 14:05 UTC".
    static func describeTime(_ t: Int64) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
    }

    /// Performs a transition's actions: releases go back to the engine, launches and stops wake the nodes'
    /// agents (their orders are computed from the jobs' states), a requeue or release triggers a pass. `at`
    /// is when the transition was recorded: the engine takes the release and decides the pass at it.
    func perform(_ actions: [JobLifecycle.Action], job id: Int64, at: Timestamp) {
        var reschedule = false
        for action in actions {
            switch action {
            case let .release(view):
                guard let allocation = spec.allocation(from: view) else { continue }
                do {
                    try state.release(allocation)
                    book.ended(id: id, at: at.seconds)
                    reschedule = true
                } catch {
                    logger.error("release refused", metadata: ["job": "\(id)", "error": "\(error)"])
                }
            case .enqueue:
                reschedule = true
            case let .launch(nodes), let .stop(nodes):
                for n in nodes { waiters.wake(n) }
            }
        }
        if reschedule {
            needsFullPass = true
            if passesHeld > 0 {
                heldPassEvent = max(heldPassEvent ?? at, at)
            } else {
                schedule(event: at)
            }
        }
    }

    /// Runs `changes` with the passes its transitions call for held back, then one pass if any was: the
    /// ends one heartbeat reports free their resources together, as the simulator's events of one moment
    /// do, and the jobs they let start are chosen once, among all of them.
    ///
    /// The transitions share one reading of the clock (`batchStamp`): the ends one heartbeat reports are
    /// released at one millisecond, so that a replay of the trace, too, frees them together before its pass.
    func withOnePass(_ changes: () -> Void) {
        let outermost = batchStamp == nil
        if outermost { batchStamp = timestamp() }
        passesHeld += 1
        changes()
        passesHeld -= 1
        if outermost { batchStamp = nil }
        if passesHeld == 0, let event = heldPassEvent {
            heldPassEvent = nil
            schedule(event: event)
        }
    }

    /// Cancels a job: a pending one ends now; a running one gets a stop request (its allocation is held
    /// until its processes are known to be gone). Users may cancel only their own jobs.
    public func cancel(_ id: Int64, by p: Principal) async throws(ControllerError) -> JobView {
        let before = try job(id)
        try authorize(p, for: before, to: "cancel")
        try cancelNow(id, by: p)
        passIfLineLeft()
        settleDependencies()
        await durable()
        return try view(try job(id))
    }

    /// Under strict-fifo, once the job that holds the line has left the queue without starting (cancelled), the
    /// jobs behind it may start now: a full pass finds them.
    func passIfLineLeft() {
        guard let first = book.firstInLine, live[first]?.state != .pending else { return }
        needsFullPass = true
        schedule()
    }

    /// Records a cancel: a pending job ends, a running one is asked to stop.
    func cancelNow(_ id: Int64, by p: Principal) throws(ControllerError) {
        let t = try record(id, .cancel(by: p.user, at: timestamp()))
        logger.info("job cancel", metadata: ["job": "\(id)", "by": "\(p.user)", "now": "\(t.job.state)"])
        // With agents required and none live on its nodes, nobody will report the exit: end it now.
        if settings.requireAgents && t.job.state == .running
            && t.job.nodes.allSatisfy({ connections[$0]?.isLive != true })
        {
            try record(id, .exit(code: nil, signal: nil, at: timestamp()))
        }
    }

    /// One job, as its owner or an admin may see it.
    public func job(_ id: Int64, by p: Principal) async throws(ControllerError) -> JobView {
        settleDependencies()
        await durable()
        let j = try job(id)
        try authorize(p, for: j, to: "read")
        var v = try view(j)
        // An ended job with its runs: what each used, its GPUs too, for `schedctl show`.
        if j.state.isFinal { v.runs = try stored { () throws(StateStoreError) in try store.runs(ofJob: id) } }
        return v
    }

    /// Jobs, lowest id first: a user's own, or every job for an admin; optionally in one state, or only the
    /// tasks of one job array. All of them in one answer; the API pages with `jobPage`.
    public func jobs(state: JobState? = nil, array: Int64? = nil, by p: Principal) async throws(ControllerError)
        -> [JobView]
    {
        try await jobPage(states: state.map { [$0] }, array: array, by: p).jobs
    }

    /// The jobs `p` may see, lowest id first, in one of `states` (nil: any): those after `after`, at most
    /// `limit`, and the id to ask after for the next page (nil when this one is the last).
    /// With `collapse`, consecutive pending tasks of one array that wait for the same reason come as one
    /// view, the first task's, with `collapsedTasks` (as squeue shows them): a queue of 20,000 array tasks is
    /// a few dozen views.
    public func jobPage(
        states: Set<JobState>? = nil, array: Int64? = nil, after: Int64? = nil, limit: Int? = nil,
        collapse: Bool = false, by p: Principal
    ) async throws(ControllerError) -> (jobs: [JobView], next: Int64?) {
        settleDependencies()
        await durable()
        guard p.role != .agent else { throw ControllerError(.forbidden, "agent tokens cannot list jobs") }
        // An array's tasks share one environment, read once; other lists leave environments out.
        // One more than the page, to know whether another follows.
        let filter = JobFilter(
            states: states, user: p.role == .admin ? nil : p.user, afterId: after,
            limit: limit.map { $0 + 1 }, arrayJobId: array, environments: array != nil)
        var jobs: [Job]
        if let states, states.isSubset(of: [.pending, .running]), array == nil {
            // Only jobs that have not ended: the cache holds every one of them, so the store is not read.
            let user = filter.user
            let ids = live.keys.filter { $0 > (after ?? Int64.min) }.sorted()
            jobs = []
            for id in ids {
                guard let j = live[id], states.contains(j.state), user == nil || j.user == user else { continue }
                jobs.append(j)
                if let limit, jobs.count > limit { break }
            }
        } else {
            // Pending and running jobs as the cache has them (pending reasons are kept in memory only).
            jobs = try stored { () throws(StateStoreError) in try store.jobs(filter: filter) }.map { live[$0.id] ?? $0 }
        }
        var next: Int64?
        if let limit, jobs.count > limit {
            jobs.removeLast(jobs.count - limit)
            next = jobs.last?.id
        }
        if array == nil { for i in jobs.indices { jobs[i].environment = nil } }
        let starts = jobs.contains { $0.state == .pending } ? estimatedStarts() : [:]
        func view(_ j: Job) -> JobView {
            withUsage(JobView(j, estimatedStart: starts[j.id], priority: priorityView(j)))
        }
        guard collapse else { return (jobs.map(view), next) }
        var views: [JobView] = []
        var i = 0
        while i < jobs.count {
            let first = jobs[i]
            var k = i + 1
            if first.state == .pending, let a = first.array {
                while k < jobs.count, jobs[k].state == .pending, jobs[k].array?.arrayJobId == a.arrayJobId,
                    jobs[k].pendingReason == first.pendingReason
                {
                    k += 1
                }
            }
            var v = view(first)
            if k - i > 1 {
                let tasks = jobs[i..<k].compactMap { $0.array?.taskId }
                v.collapsedTasks = (try? ArraySpec(indices: tasks).indicesText) ?? RangeList.compact(tasks)
            }
            views.append(v)
            i = k
        }
        return (views, next)
    }

    /// The API's view of a job, with its estimated start and priority when pending.
    func view(_ j: Job) throws(ControllerError) -> JobView {
        withUsage(
            JobView(j, estimatedStart: j.state == .pending ? estimatedStarts()[j.id] : nil, priority: priorityView(j)))
    }

    func job(_ id: Int64) throws(ControllerError) -> Job {
        if let j = live[id] { return j }
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

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
