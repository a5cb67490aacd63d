import Logging
import RasporedAPI
import Scheduler

/// Group commit for job changes. A transition is applied to the controller's own copy at once (the engine
/// and the caches move on), and its row is queued; one writer commits whatever is queued in one
/// transaction, off the actor, while the actor goes on deciding. Nothing leaves the controller before it is
/// on disk: every answer that shows a change (a submission's state, a cancel, an agent's orders, a job read)
/// first waits for `durable()`. A crash therefore loses only changes nobody outside has seen.
extension ControllerCore {
    /// Applies `event` to the job as the controller holds it, updates the caches, queues the row for the
    /// next commit and performs the transition's actions. `adjust` may amend the resulting job (an end
    /// reason) before it is kept and written. A job that ends and gives its allocation back records now as
    /// `releasedMillis`: the actions release it before this returns.
    @discardableResult
    func record(
        _ id: Int64, _ event: JobLifecycle.Event, adjust: ((inout Job) -> Void)? = nil
    ) throws(ControllerError) -> JobLifecycle.Transition {
        var t: JobLifecycle.Transition
        var before: Job?
        if let cached = live[id] {
            before = cached
            do { t = try JobLifecycle.apply(event, to: cached) } catch {
                throw ControllerError(.conflict, error.description)
            }
        } else if let final = jobCache.ended[id] {
            // It ended here, and its row may not be on disk yet: the store can still say running. Ended jobs
            // take no events; refuse as the lifecycle would, from the state the controller knows.
            throw ControllerError(
                .conflict, JobTransitionError(jobId: id, state: final, event: event, reason: .wrongState).description)
        } else {
            // Ended (or unknown): only the store has it, and only a refusal can come of it.
            guard let stored = try stored({ () throws(StateStoreError) in try store.job(id) }) else {
                throw ControllerError(.notFound, "no job \(id)")
            }
            do { t = try JobLifecycle.apply(event, to: stored) } catch {
                throw ControllerError(.conflict, error.description)
            }
        }
        adjust?(&t.job)
        // One reading of the clock for the release, the engine's record of it and the pass it calls for (one
        // for all the transitions of a batch, `withOnePass`).
        let released = batchStamp ?? timestamp()
        if t.job.state.isFinal, t.actions.contains(where: { if case .release = $0 { true } else { false } }) {
            t.job.releasedMillis = released.millis
        }
        let releases = t.actions.contains { if case .release = $0 { true } else { false } }
        if let before,
            let run = JobRun.ended(
                before: before, after: t.job, by: event, released: releases ? released : nil,
                gpuModel: gpuModel(of: before.allocation))
        {
            var run = run
            run.gpuUsage = gpuSummary(id)
            unflushedRuns.append(run)
            metrics.runEnded(run)
            forgetUsage(id)
        }
        if t.job.state.isFinal, before.map({ !$0.state.isFinal }) ?? false {
            metrics.jobEnded(account: t.job.account, state: t.job.state)
        }
        remember(t.job)
        queueWrite(t.job)
        perform(t.actions, job: id, at: released)
        return t
    }

    func queueWrite(_ job: Job) {
        unflushed.append(job)
        startFlushIfIdle()
    }

    /// Starts a commit of everything queued, unless one is under way (it starts the next when done).
    func startFlushIfIdle() {
        guard !flushing, !unflushed.isEmpty else { return }
        flushing = true
        let batch = unflushed, runs = unflushedRuns
        unflushed = []
        unflushedRuns = []
        let waiting = flushWaiters
        flushWaiters = []
        let store = self.store
        Task.detached {
            var failure: StateStoreError?
            do throws(StateStoreError) {
                try store.replace(batch, runs: runs)
            } catch {
                failure = error
            }
            await self.flushed(batch.count, failure, waiting)
        }
    }

    func flushed(_ count: Int, _ failure: StateStoreError?, _ waiting: [CheckedContinuation<Void, Never>]) {
        flushing = false
        if let failure {
            // The disk refused: what the actor holds is ahead of the store. Nobody has been told (waiters
            // learn nothing more than that the commit ended); rebuild from the store, which is the truth.
            logger.critical(
                "cannot record job changes; reloading state", metadata: ["count": "\(count)", "error": "\(failure)"])
            rebuildFromStore()
        }
        for w in waiting { w.resume() }
        // Waiters that came while this commit ran and have nothing newer queued are covered by it.
        if unflushed.isEmpty {
            let rest = flushWaiters
            flushWaiters = []
            for w in rest { w.resume() }
        }
        startFlushIfIdle()
    }

    /// The model of the GPUs of an allocation's nodes, when they are all of one model (cluster.yaml's types).
    func gpuModel(of allocation: AllocationView?) -> String? {
        guard let allocation else { return nil }
        let models = Set(
            allocation.nodes.compactMap { n in spec.nodeIndex(named: n.node).map { spec.nodeType(of: spec.nodes[$0]) } }
                .compactMap(\.gpuModel))
        return models.count == 1 ? models.first : nil
    }

    /// Returns once every change recorded so far is on disk.
    func durable() async {
        if unflushed.isEmpty && !flushing { return }
        await withCheckedContinuation { flushWaiters.append($0) }
    }

    /// After a failed commit: the engine, caches and node states from the store again.
    func rebuildFromStore() {
        do {
            let (fresh, records, jobs) = try Self.reload(spec: spec, store: store, logger: logger, at: timestamp())
            state = fresh
            nodeRecords = records
            var cache = JobCache()
            for job in jobs { cache.remember(job) }
            jobCache = cache
            for i in spec.nodes.indices { state.setAvailability(node: i, effectiveAvailability(i)) }
            rebuildBook()
            needsFullPass = true
        } catch {
            logger.critical("cannot reload state from the store", metadata: ["error": "\(error)"])
        }
    }
}
