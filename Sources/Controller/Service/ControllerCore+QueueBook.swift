import Logging
import RasporedAPI
import Scheduler

/// The engine's `QueueBook` at wall-clock time: rebuilt from the store whenever the engine's state is
/// (start, a failed commit, a cluster reload), then kept in step by the scheduling passes and the releases.
extension ControllerCore {
    /// A book for `spec` at `now`: the running jobs in `live` (with what they used so far), the usage of
    /// runs that ended within eight fair-share half-lives (older usage weighs under 0.4 %), and the
    /// recorded reservations not over yet.
    static func makeBook(spec: ClusterSpec, live: [Job], store: StateStore, now: Int64, logger: Logger) -> QueueBook {
        var reservations: [Reservation] = []
        do {
            reservations = bookReservations(try store.reservations(), spec: spec, now: now, logger: logger)
        } catch {
            logger.critical("cannot read reservations; none is honoured", metadata: ["error": "\(error)"])
        }
        var book = QueueBook(spec: spec, now: now, reservations: reservations)
        let horizon = now - 8 * max(spec.scheduling.fairShareHalfLife.seconds, 1)
        do {
            // Every run, a requeued job's earlier ones too, to the release of its allocation where recorded (the
            // book accrues usage while a job holds GPUs); in whole seconds, as the book accrues it.
            let runs = try store.runs(sinceMillis: horizon * 1000, untilMillis: .max).sorted {
                ($0.jobId, $0.run) < ($1.jobId, $1.run)
            }
            for run in runs {
                let start = Timestamp(millis: run.startMillis).seconds
                let end = Timestamp(millis: max(run.releasedMillis ?? run.endMillis, run.startMillis)).seconds
                book.chargeHistory(
                    account: run.account, gpuSeconds: Double(run.gpus) * Double(max(end - start, 0)), endedAt: end)
            }
        } catch {
            logger.error(
                "cannot read job history for fair share; usage starts from zero", metadata: ["error": "\(error)"])
        }
        for job in live.sorted(by: { $0.id < $1.id }) where job.state == .running {
            guard let view = job.allocation, let a = spec.allocation(from: view) else { continue }
            let start = job.startTime ?? now
            book.chargeHistory(
                account: job.account, gpuSeconds: Double(a.gpuCount) * Double(max(now - start, 0)), endedAt: now)
            book.started(
                id: job.id, account: job.account, allocation: a, end: start + job.timeLimit.seconds, at: now,
                partition: job.partition)
        }
        return book
    }

    /// The book rebuilt from the store and the live jobs (after the engine's state was).
    func rebuildBook() {
        book = Self.makeBook(spec: spec, live: Array(live.values), store: store, now: clock(), logger: logger)
    }

    /// A pending job's priority from the book as it stands (the last pass's fair-share ledger), at now.
    func priorityView(_ job: Job) -> PriorityView? {
        guard job.state == .pending else { return nil }
        return PriorityView(QueuePass.priority(candidate(job), book: &book, now: clock()), policy: book.policy)
    }

    /// The queue policy in force (cluster.yaml `scheduling.policy`).
    public var queuePolicy: QueuePolicyName { book.policy }

    /// A pending job as the queue pass sees it.
    func candidate(_ job: Job) -> QueuePass.Candidate { JobCache.candidate(job) }
}
