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
        let queue = Array(pendingIds.lazy.filter { !held.contains($0) }.prefix(settings.estimateLimit))
        var waiting = queue.compactMap { id -> StartEstimate.Waiting? in
            guard let j = live[id] else { return nil }
            return .init(id: id, request: j.request, timeLimit: j.timeLimit)
        }
        if let probe { waiting.append(.init(id: probe.id, request: probe.request, timeLimit: probe.timeLimit)) }
        var work = StartEstimate.Work()
        let starts = StartEstimate.estimate(state: state, running: running, waiting: waiting, now: now, work: &work)
        if probe == nil { estimateCache = (version, now, starts) }
        return starts
    }
}
