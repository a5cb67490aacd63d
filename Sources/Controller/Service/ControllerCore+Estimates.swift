import Scheduler

extension ControllerCore {
    /// Expected starts of pending jobs (the first `settings.estimateLimit` in queue order), from the running
    /// jobs' time limits (`StartEstimate`); cached until jobs or nodes change or the clock moves on.
    /// `probe`, a job not in the queue (a dry run), is estimated as if queued last, and not cached.
    func estimatedStarts(including probe: Job? = nil) -> [Int64: Int64] {
        let now = clock()
        if probe == nil, let c = estimateCache, c.version == version, c.at == now { return c.starts }
        let running = live.values.compactMap { j -> StartEstimate.Running? in
            guard j.state == .running, let view = j.allocation, let a = spec.allocation(from: view) else { return nil }
            return .init(allocation: a, end: (j.startTime ?? now) + j.timeLimit.seconds)
        }
        // Jobs held by a dependency or an array's cap have no estimate: they wait for more than resources.
        let held = dependencyBook.held
        // In the order the queue policy offers them (by priority under fairshare).
        var ordered: [(QueuePass.Candidate, QueuePass.SortKey)] = []
        for id in pendingIds where !held.contains(id) {
            guard let j = live[id] else { continue }
            let c = candidate(j)
            ordered.append((c, QueuePass.key(c, book: &book, now: now)))
        }
        ordered.sort { $0.1 < $1.1 }
        var waiting = ordered.prefix(settings.estimateLimit).compactMap { c, _ -> StartEstimate.Waiting? in
            guard let j = live[c.id] else { return nil }
            return .init(id: c.id, request: j.request, timeLimit: j.timeLimit, account: j.account)
        }
        if let probe {
            waiting.append(
                .init(id: probe.id, request: probe.request, timeLimit: probe.timeLimit, account: probe.account))
        }
        var work = StartEstimate.Counters()
        var starts = StartEstimate.estimate(
            state: state, running: running, waiting: waiting, now: now, reservations: book.reservations,
            holdsLine: book.policy.holdsLine, work: &work)
        // The job holding the backfill reservation starts by its reserved time: backfill may not delay it.
        if let r = book.reservedStart, starts[r.job] == nil || starts[r.job]! > r.at { starts[r.job] = max(r.at, now) }
        if probe == nil { estimateCache = (version, now, starts) }
        return starts
    }
}
