import RasporedAPI
import Scheduler

/// The platform's accounting: job history by time window, usage over a period, each account's fair-share
/// standing, and the purge of history past its retention. The history and usage read the store outside the
/// actor (SQLite readers run beside the writer), so a report over a year of jobs delays no scheduling.
extension ControllerCore {
    /// Whose history `p` may read: nil for an admin (everyone's); a user sees their own jobs and those of the
    /// accounts they coordinate (cluster.yaml `coordinators`, with every account under those).
    func accountingViewer(_ p: Principal) throws(ControllerError) -> HistoryFilter.Viewer? {
        switch p.role {
        case .admin: return nil
        case .agent: throw ControllerError(.forbidden, "agent tokens cannot read the job history")
        case .user: return HistoryFilter.Viewer(user: p.user, accounts: spec.accounts(coordinatedBy: p.user))
        }
    }

    /// A page of the history `filter` selects, as `p` may see it (its `viewer` is set here): each job with its
    /// runs and the GPU-seconds they held, a run still going counted up to now. `next` is the last id when
    /// more follow.
    public nonisolated func history(
        _ filter: HistoryFilter, by p: Principal
    ) async throws(ControllerError) -> (jobs: [JobView], next: Int64?) {
        var f = filter
        f.viewer = try await accountingViewer(p)
        if let viewer = f.viewer, let users = f.users, !users.subtracting([viewer.user]).isEmpty,
            viewer.accounts.isEmpty
        {
            throw ControllerError(
                .forbidden,
                "\(p.user) may read only their own jobs' history (an admin reads everyone's, an account's "
                    + "coordinator the account's)")
        }
        // Nothing ran after now: a window that begins later holds no job, running ones included.
        let now = timestamp().millis
        f.untilMillis = min(f.untilMillis, now)
        guard f.sinceMillis <= f.untilMillis else { return ([], nil) }
        await durable()
        let limit = f.limit
        f.limit = limit + 1
        let query = f
        var rows = try stored { () throws(StateStoreError) in try store.history(query) }
        var next: Int64?
        if rows.count > limit {
            rows.removeLast(rows.count - limit)
            next = rows.last?.job.id
        }
        return (
            rows.map { row in
                var v = JobView(row.job)
                v.runs = row.runs
                v.gpuSeconds = Self.gpuSeconds(row.job, runs: row.runs, now: now)
                return v
            }, next
        )
    }

    /// GPU-seconds a job's runs held: the ended runs', and the current run's up to `now` while it runs.
    nonisolated static func gpuSeconds(_ job: Job, runs: [JobRun], now: Int64) -> Double {
        var total = runs.reduce(0) { $0 + $1.gpuSeconds }
        if job.state == .running, let start = job.startMillis, let a = job.allocation {
            total += Double(a.nodes.reduce(0) { $0 + $1.gpus.count }) * Double(max(now - start, 0)) / 1000
        }
        return total
    }

    /// Usage from `sinceMillis` to `untilMillis` (brought back to now when it lies ahead), grouped `by`, of
    /// what `p` may see.
    public nonisolated func usage(
        sinceMillis: Int64, untilMillis: Int64, by grouping: UsageGrouping, principal p: Principal
    ) async throws(ControllerError) -> UsageReport {
        let viewer = try await accountingViewer(p)
        let now = timestamp().millis
        let until = min(untilMillis, now)
        guard sinceMillis < until else {
            throw ControllerError(.badRequest, "the period must begin before it ends and before now")
        }
        let (running, spec) = await runningSpans(viewer: viewer, now: now)
        await durable()
        let ended = try stored { () throws(StateStoreError) in
            try store.usageSpans(sinceMillis: sinceMillis, untilMillis: until, viewer: viewer)
        }
        return UsageTally.report(
            ended + running, by: grouping, sinceMillis: sinceMillis, untilMillis: until,
            spec: spec, partial: viewer != nil)
    }

    /// The running jobs `viewer` may see as spans up to `now`, and the cluster description in force.
    func runningSpans(viewer: HistoryFilter.Viewer?, now: Int64) -> ([UsageTally.Span], ClusterSpec) {
        var spans: [UsageTally.Span] = []
        for job in live.values where job.state == .running {
            guard let start = job.startMillis, let a = job.allocation else { continue }
            if let v = viewer, job.user != v.user, !v.accounts.contains(job.account) { continue }
            spans.append(
                UsageTally.Span(
                    jobId: job.id, run: job.requeueCount, user: job.user, account: job.account,
                    partition: job.partition, gpuModel: a.gpuModel ?? gpuModel(of: a),
                    gpus: a.nodes.reduce(0) { $0 + $1.gpus.count }, submitMillis: job.submitMillis, startMillis: start,
                    endMillis: max(now, start)))
        }
        return (spans, spec)
    }

    /// Each account's fair-share standing and limits consumed, from the queue book at now: the declared
    /// accounts in tree order, then those with jobs that cluster.yaml does not name.
    public func shares(by p: Principal) throws(ControllerError) -> ShareList {
        guard p.role != .agent else { throw ControllerError(.forbidden, "agent tokens cannot read shares") }
        let now = clock()
        var names = UsageTally.treeOrder(spec.accounts.map(\.name), spec: spec)
        for name in book.fairShare.names where !names.contains(name) { names.append(name) }
        return ShareList(
            policy: book.policy.rawValue, halfLifeSeconds: spec.scheduling.fairShareHalfLife.seconds,
            accounts: names.map { name in
                let s = book.standing(of: name, at: now)
                let declared = spec.account(named: name)
                let limits = declared?.limits ?? AccountLimits()
                return ShareView(
                    account: name, parent: declared?.parent, depth: spec.accountPath(name).count - 1,
                    rawShare: declared?.share ?? 1, share: s.share, decayedGPUSeconds: s.decayedGPUSeconds,
                    usage: s.usage, factor: s.factor, gpusInUse: s.gpusInUse, gpuLimit: limits.gpus,
                    periodGPUSeconds: s.periodGPUSeconds, gpuHourLimit: limits.gpuHours,
                    periodSeconds: limits.period.seconds, storageInUseBytes: s.storageInUse.bytes,
                    storageLimitBytes: limits.storage?.bytes)
            })
    }

    /// Deletes the ended jobs past the retention (`settings.historyRetentionSeconds`), a batch per commit,
    /// off the actor; logs how many.
    nonisolated func purgeHistory() async {
        guard let keep = settings.historyRetentionSeconds else { return }
        let cutoff = timestamp().millis - keep * 1000
        var deleted = 0
        do {
            while true {
                let n = try store.purgeHistory(endedBeforeMillis: cutoff)
                deleted += n
                if n < 10_000 || Task.isCancelled { break }
                await Task.yield()
            }
            if deleted > 0 {
                logger.notice(
                    "history purged", metadata: ["jobs": "\(deleted)", "endedBefore": "\(Timestamp(millis: cutoff))"])
            }
        } catch {
            logger.error("cannot purge old job history", metadata: ["error": "\(error)"])
        }
    }
}
