import Logging
import RasporedAPI
import Scheduler

/// Job dependencies (`afterok:12`, …) and job arrays' caps on running tasks: which pending jobs a
/// scheduling pass may offer to the queue policy.
///
/// A pending job with a dependency that does not hold yet, or a task whose array already runs as many tasks
/// as its cap allows, is held: it is not offered, and its pending reason says what it waits for. A
/// dependency that can never hold (afterok on a job that failed) cancels its job with a reason naming it,
/// as Slurm does with `kill_invalid_depend`. Nothing here is stored: it is derived from the jobs' states at
/// every pass, so a restarted controller re-evaluates every dependency from the store.
extension ControllerCore {
    /// The jobs of `ids` (in queue order) a scheduling pass may offer now; the others get their reason, or
    /// are cancelled when their dependency can never hold.
    func eligible(_ ids: [Int64]) -> [Int64] {
        let gates = jobCache.gates
        guard !gates.gated.isEmpty else { return ids }
        var out: [Int64] = []
        out.reserveCapacity(ids.count)
        var memo: [JobDependency.Target: DependencyTargetState?] = [:]
        var names: [String: SameName]?
        var offered: [Int64: Int] = [:]
        let now = clock()
        for id in ids {
            guard gates.gated.contains(id), let job = live[id], job.state == .pending else {
                out.append(id)
                continue
            }
            if let h = job.controls.hold {
                hold(job, Self.holdReason(h, job))
                continue
            }
            if let b = job.controls.begin, b > now {
                hold(
                    job,
                    "begin time \(Self.describeTime(b)) (schedctl update \(job.array?.description ?? "\(job.id)") --begin now)"
                )
                continue
            }
            if let d = job.dependency {
                switch status(of: d, for: job, memo: &memo, names: &names) {
                case .satisfied: break
                case let .waiting(why):
                    hold(job, why)
                    continue
                case let .never(why):
                    cancelForDependency(job, why)
                    continue
                }
            }
            if let a = job.array, let limit = a.limit {
                let running = gates.runningPerArray[a.arrayJobId] ?? 0
                let ahead = offered[a.arrayJobId] ?? 0
                if running + ahead >= limit {
                    hold(job, Self.capReason(a.arrayJobId, limit: limit, running: running, ahead: ahead))
                    continue
                }
                offered[a.arrayJobId] = ahead + 1
            }
            admit(job)
            out.append(id)
        }
        return out
    }

    /// A held job's pending reason: who holds it and how it is released.
    static func holdReason(_ h: JobHold, _ job: Job) -> String {
        let ref = job.array?.description ?? "\(job.id)"
        switch h {
        case .user: return "held by its owner (schedctl release \(ref))"
        case .admin: return "held by an admin (an admin may release it: schedctl release \(ref))"
        }
    }

    /// Runs a pass for the held jobs whose begin time has come (called by the sweep).
    func admitDueBegins() {
        let now = clock()
        let due = jobCache.gates.begins.compactMap { id, begin in
            begin <= now && dependencyBook.held.contains(id) ? id : nil
        }
        guard !due.isEmpty else { return }
        schedule(only: needsFullPass ? nil : due.sorted())
    }

    /// "array 42 runs at most 8 tasks at once (8 running)"; `ahead`: tasks of the array offered before this
    /// one in the same pass.
    static func capReason(_ array: Int64, limit: Int, running: Int, ahead: Int) -> String {
        let more =
            ahead > 0 ? ", \(ahead) ahead of it" : running < limit ? "; its earlier tasks wait for resources" : ""
        return "array \(array) runs at most \(limit) task\(limit == 1 ? "" : "s") at once (\(running) running\(more))"
    }

    /// Does what a change of a dependency's target or of a capped array's running tasks calls for, if anything
    /// is due (`dependencyTargetChanged`): a pass for the held jobs, then the held tasks' cap reasons with the
    /// running counts after it. Reads call it first, so they see its consequences.
    func settleDependencies() {
        dependencyBook.settleScheduled = false
        if dependencyBook.dirty {
            dependencyBook.dirty = false
            schedule(only: needsFullPass ? nil : jobCache.gates.gated.sorted())
        }
        guard !dependencyBook.capsChanged.isEmpty else { return }
        let arrays = dependencyBook.capsChanged
        dependencyBook.capsChanged = []
        for id in dependencyBook.held.sorted() {
            guard let j = live[id], j.state == .pending, let a = j.array, let limit = a.limit,
                arrays.contains(a.arrayJobId), j.pendingReason?.hasPrefix("array \(a.arrayJobId) runs at most") == true
            else { continue }
            let running = jobCache.gates.runningPerArray[a.arrayJobId] ?? 0
            hold(j, Self.capReason(a.arrayJobId, limit: limit, running: running, ahead: 0))
        }
    }

    /// A job's state changed: when a held job may care (it names the job, its array, or shares its name for
    /// `singleton`), a pass for the held jobs runs once the current work is done; when it is a task of an
    /// array with a cap, its held tasks' reasons are brought up to date then.
    func dependencyTargetChanged(_ job: Job) {
        let concerns = jobCache.gates.concerns(job)
        if concerns { dependencyBook.dirty = true }
        let capped = job.array.flatMap { $0.limit != nil ? $0.arrayJobId : nil }
        if let capped, !dependencyBook.held.isEmpty { dependencyBook.capsChanged.insert(capped) }
        guard concerns || (capped != nil && !dependencyBook.held.isEmpty) else { return }
        guard !dependencyBook.settleScheduled else { return }
        dependencyBook.settleScheduled = true
        Task { await self.settleDependencies() }
    }

    /// The dependency with every job it names looked up: refused when a job does not exist, is not the
    /// submitter's (admins may name any), or can no longer satisfy it.
    func resolve(_ d: JobDependency, by p: Principal) throws(ControllerError) -> JobDependency {
        var out = d
        for i in out.conditions.indices {
            let c = out.conditions[i]
            guard let ref = c.job else { continue }
            let target: Job
            switch ref {
            case let .job(id):
                if let j = live[id] {
                    target = j
                } else if let j = try stored({ () throws(StateStoreError) in try store.job(id, environment: false) }) {
                    target = j
                } else {
                    throw ControllerError(.badRequest, "dependency \(c): no job \(id)")
                }
            case let .task(array, index):
                guard
                    let j = try stored({ () throws(StateStoreError) in
                        try store.job(arrayJobId: array, taskId: index, environment: false)
                    })
                else {
                    let head = try stored { () throws(StateStoreError) in try store.job(array, environment: false) }
                    guard let head else { throw ControllerError(.badRequest, "dependency \(c): no job \(array)") }
                    guard let a = head.array, a.arrayJobId == array else {
                        throw ControllerError(.badRequest, "dependency \(c): job \(array) is not a job array")
                    }
                    throw ControllerError(
                        .badRequest, "dependency \(c): array \(array) has no task \(index) (tasks \(a.taskList))")
                }
                target = j
            }
            if p.role != .admin && target.user != p.user {
                throw ControllerError(
                    .forbidden,
                    "dependency \(c): job \(target.array?.description ?? "\(target.id)") belongs to \(target.user); "
                        + "a dependency may name only your own jobs")
            }
            if case let .job(id) = ref, target.array?.arrayJobId == id {
                out.conditions[i].target = .array(id)
            } else {
                out.conditions[i].target = .job(target.id)
            }
        }
        var memo: [JobDependency.Target: DependencyTargetState?] = [:]
        var names: [String: SameName]?
        if case let .never(why) = status(of: out, for: nil, memo: &memo, names: &names) {
            throw ControllerError(.badRequest, "dependency \(out) can never be satisfied: \(why)")
        }
        return out
    }

    /// Why a job with dependency `d` would wait now; nil when `d` holds.
    func dependencyWait(_ d: JobDependency) -> String? {
        var memo: [JobDependency.Target: DependencyTargetState?] = [:]
        var names: [String: SameName]?
        if case let .waiting(why) = status(of: d, for: nil, memo: &memo, names: &names) { return why }
        return nil
    }

    /// `d` evaluated against the jobs' states now; `job` is the dependent (for `singleton`; nil for one not
    /// yet submitted, which no earlier job of its name can be blocked by). A target that cannot be read leaves
    /// the job waiting, with the store's error as its reason.
    func status(
        of d: JobDependency, for job: Job?, memo: inout [JobDependency.Target: DependencyTargetState?],
        names: inout [String: SameName]?
    ) -> DependencyStatus {
        var failure: ControllerError?
        var blocker: Int64?
        if let job, d.conditions.contains(where: { $0.kind == .singleton }) {
            if names == nil { names = sameNames() }
            blocker = names?[GateIndex.nameKey(job)]?.blocker(of: job.id)
        }
        let status = d.status(
            state: { t in
                if let known = memo[t] { return known }
                do throws(ControllerError) {
                    let s = try targetState(t)
                    memo[t] = s
                    return s
                } catch {
                    failure = error
                    return .job(.pending)
                }
            }, singletonBlocker: blocker)
        if let failure { return .waiting("cannot read the jobs it depends on: \(failure)") }
        return status
    }

    /// How a dependency's target stands now: from the job cache, the recently ended jobs, else the store
    /// (whose rows are current for every job that is in neither). Nil when it no longer exists.
    func targetState(_ t: JobDependency.Target) throws(ControllerError) -> DependencyTargetState? {
        switch t {
        case let .job(id):
            return try jobState(id).map(DependencyTargetState.job)
        case let .array(a):
            if dependencyBook.arrayTasks[a] == nil {
                let rows = try stored { () throws(StateStoreError) in try store.arrayTasks(a) }
                dependencyBook.arrayTasks[a] = rows.map(\.id)
                for r in rows where live[r.id] == nil { jobCache.noteEnded(r.id, r.state) }
            }
            let ids = dependencyBook.arrayTasks[a] ?? []
            guard !ids.isEmpty else { return nil }
            var counts: [JobState: Int] = [:]
            var unknown: [Int64] = []
            for id in ids {
                if let s = live[id]?.state ?? jobCache.ended[id] {
                    counts[s, default: 0] += 1
                } else {
                    unknown.append(id)
                }
            }
            if !unknown.isEmpty {
                let rows = try stored { () throws(StateStoreError) in try store.arrayTasks(a) }
                let states = Dictionary(rows.map { ($0.id, $0.state) }, uniquingKeysWith: { a, _ in a })
                for id in unknown {
                    guard let s = states[id] else { continue }
                    jobCache.noteEnded(id, s)
                    counts[s, default: 0] += 1
                }
            }
            return .array(counts)
        }
    }

    /// A job's state now; nil when there is no such job.
    func jobState(_ id: Int64) throws(ControllerError) -> JobState? {
        if let j = live[id] { return j.state }
        if let s = jobCache.ended[id] { return s }
        guard let j = try stored({ () throws(StateStoreError) in try store.job(id, environment: false) }) else {
            return nil
        }
        jobCache.noteEnded(id, j.state)
        return j.state
    }

    /// For `singleton`: per (user, name), a running job and the lowest pending job id.
    func sameNames() -> [String: SameName] {
        var out: [String: SameName] = [:]
        for j in live.values {
            let key = GateIndex.nameKey(j)
            var n = out[key] ?? SameName()
            if j.state == .running { n.running = min(n.running ?? j.id, j.id) }
            if j.state == .pending { n.firstPending = min(n.firstPending ?? j.id, j.id) }
            out[key] = n
        }
        return out
    }

    /// Keeps `job` pending with `reason`, out of this pass.
    func hold(_ job: Job, _ reason: String) {
        dependencyBook.held.insert(job.id)
        guard job.pendingReason != reason else { return }
        var j = job
        j.pendingReason = reason
        remember(j)
    }

    /// Lets a job that was held be offered again; its reason is the engine's from now on.
    func admit(_ job: Job) {
        guard dependencyBook.held.remove(job.id) != nil, job.pendingReason != nil else { return }
        var j = job
        j.pendingReason = nil
        remember(j)
    }

    /// Ends a job whose dependency can never hold, as cancelled, with the dependency named.
    func cancelForDependency(_ job: Job, _ why: String) {
        dependencyBook.held.remove(job.id)
        do {
            try record(job.id, .cancel(by: "controller", at: timestamp())) { j in
                j.endReason = "dependency can never be satisfied: \(why)"
            }
            logger.info(
                "job cancelled: its dependency can never be satisfied", metadata: ["job": "\(job.id)", "why": "\(why)"])
        } catch {
            logger.error(
                "cannot cancel a job whose dependency failed", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }
}

/// Per (user, name): what a `singleton` job waits for.
struct SameName: Sendable {
    var running: Int64?
    var firstPending: Int64?

    /// The job that job `id` waits for: a running one, else an earlier pending one; nil when none.
    func blocker(of id: Int64) -> Int64? {
        if let r = running, r != id { return r }
        if let p = firstPending, p < id { return p }
        return nil
    }
}

/// What dependencies and array caps keep between passes (`ControllerCore.dependencyBook`).
struct DependencyBook: Sendable {
    /// Pending jobs held by a dependency or a cap at the last pass that saw them.
    var held: Set<Int64> = []
    /// The task ids of job arrays named by dependencies (they never change).
    var arrayTasks: [Int64: [Int64]] = [:]
    /// A dependency's target changed since the last pass for held jobs.
    var dirty = false
    /// Arrays with a cap whose running tasks changed since their held tasks' reasons were written.
    var capsChanged: Set<Int64> = []
    /// That pass is queued on the actor.
    var settleScheduled = false
}
