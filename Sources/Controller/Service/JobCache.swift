import Scheduler

/// The pending and running jobs, as stored, indexed for the scheduler and the agents' orders. Ended jobs
/// are read from the store.
struct JobCache: Sendable {
    /// Pending and running jobs by id.
    private(set) var live: [Int64: Job] = [:]
    /// Pending job ids in queue order (ascending: a requeued job keeps its place).
    private(set) var pendingIds: [Int64] = []
    /// Running job ids per node.
    private(set) var onNode: [String: Set<Int64>] = [:]
    /// Pending and running jobs per user.
    private(set) var perUser: [String: Int] = [:]
    /// Each pending job's reason, as in `live` (nil while it has none): a pass compares every waiting job's
    /// new reason with it, and reading it here copies a string, not the whole job.
    private(set) var pendingReasons: [Int64: String?] = [:]
    /// Each pending job as the engine's pass takes it, made when the job is remembered: a pass over 20,000
    /// waiting jobs reads these rather than copying every job.
    private(set) var candidates: [Int64: QueuePass.Candidate] = [:]
    /// Bumped on every change.
    private(set) var version = 0
    /// What pending jobs with a dependency or an array cap wait for.
    private(set) var gates = GateIndex()
    /// Final states of recently ended jobs (and of dependency targets read from the store).
    private(set) var ended = EndedJobs()

    /// Keeps the indexes in step with a job as just stored.
    mutating func remember(_ job: Job) {
        let old = live[job.id]
        gates.update(old: old, new: job)
        if job.state.isFinal { ended.note(job.id, job.state) }
        pendingReasons[job.id] = nil
        candidates[job.id] = nil
        if let old = live.removeValue(forKey: job.id) {
            perUser[old.user, default: 1] -= 1
            if perUser[old.user] == 0 { perUser[old.user] = nil }
            if old.state == .pending {
                let at = position(old.id)
                if at < pendingIds.count && pendingIds[at] == old.id { pendingIds.remove(at: at) }
            }
            if old.state == .running { for n in old.nodes { onNode[n]?.remove(old.id) } }
        }
        if job.state == .pending || job.state == .running { perUser[job.user, default: 0] += 1 }
        switch job.state {
        case .pending:
            live[job.id] = job
            pendingReasons[job.id] = .some(job.pendingReason)
            candidates[job.id] = Self.candidate(job)
            pendingIds.insert(job.id, at: position(job.id))
        case .running:
            live[job.id] = job
            for n in job.nodes { onNode[n, default: []].insert(job.id) }
        default:
            break
        }
        version += 1
    }

    /// A job as the engine's pass takes it: its request in its partition, its account, submission and limit.
    static func candidate(_ job: Job) -> QueuePass.Candidate {
        var request = job.request
        request.partition = job.partition
        return QueuePass.Candidate(
            id: job.id, request: request, account: job.account, submit: job.submitTime,
            timeLimit: job.timeLimit.seconds, nice: job.controls.nice)
    }

    /// Remembers the final state of a job read from the store.
    mutating func noteEnded(_ id: Int64, _ state: JobState) {
        if state.isFinal { ended.note(id, state) }
    }

    /// Where `id` is or would go in `pendingIds` (binary search).
    private func position(_ id: Int64) -> Int {
        var lo = 0, hi = pendingIds.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if pendingIds[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
