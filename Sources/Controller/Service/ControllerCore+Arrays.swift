import Logging
import RasporedAPI
import Scheduler

/// Job arrays: an array is submitted as one job per task, recorded together; its id is its first task's;
/// `42_7` names task 7 of array 42, and cancelling the array's id cancels every task.
extension ControllerCore {
    /// What a submission records: one job, or one job per task of its array, each with the submission's
    /// (looked-up) dependency. Refused as a whole, before anything is recorded.
    func submissionGroup(_ s: SubmitRequest, by p: Principal) throws(ControllerError) -> [JobSubmission] {
        var one = try validate(s, by: p)
        if let d = s.dependency { one.dependency = try resolve(d, by: p) }
        guard let spec = s.array else { return [one] }
        // The array's id is its first task's, known once the store records it.
        return spec.tasks(arrayJobId: 0).map { t in
            var task = one
            task.array = t
            return task
        }
    }

    /// The id of the job `ref` names: its own, or the job of an array task. Reads the store, which holds every
    /// submitted job (and task) before its submitter hears of it.
    public nonisolated func jobId(_ ref: JobReference) throws(ControllerError) -> Int64 {
        switch ref {
        case let .job(id): return id
        case let .task(array, index):
            if let j = try stored({ () throws(StateStoreError) in
                try store.job(arrayJobId: array, taskId: index, environment: false)
            }) {
                return j.id
            }
            guard let head = try stored({ () throws(StateStoreError) in try store.job(array, environment: false) }),
                let a = head.array, a.arrayJobId == array
            else { throw ControllerError(.notFound, "no job \(ref): \(array) is not a job array") }
            throw ControllerError(.notFound, "no job \(ref): array \(array) has no task \(index) (tasks \(a.taskList))")
        }
    }

    /// One job or array task, as its owner or an admin may see it.
    public func job(_ ref: JobReference, by p: Principal) async throws(ControllerError) -> JobView {
        try await job(try jobId(ref), by: p)
    }

    /// Cancels what `ref` names: one job or array task, or — for an array's id — every unfinished task of
    /// the array, pending ones first (so none starts as running ones stop). An admin's cancel of another
    /// user's job is audited, done or refused.
    public func cancel(_ ref: JobReference, by p: Principal) async throws(ControllerError) -> ReferenceOutcome {
        guard p.role == .admin, let owner = try? job(try jobId(ref)).user, owner != p.user else {
            return try await cancelReference(ref, by: p)
        }
        do {
            let outcome = try await cancelReference(ref, by: p)
            let what: String
            switch outcome {
            case .job: what = "job of \(owner)"
            case let .array(tasks): what = "array of \(owner) (\(tasks.count) tasks)"
            }
            audit(p, .jobCancel, "job \(ref)", .ok, what)
            return outcome
        } catch {
            audit(p, .jobCancel, "job \(ref)", error.kind == .internalError ? .failed : .refused, error.message)
            throw error
        }
    }

    /// `cancel(_:by:)` without the audit.
    func cancelReference(_ ref: JobReference, by p: Principal) async throws(ControllerError) -> ReferenceOutcome {
        guard case let .job(id) = ref else { return .job(try await cancel(try jobId(ref), by: p)) }
        let head = try job(id)
        guard let a = head.array, a.arrayJobId == id else { return .job(try await cancel(id, by: p)) }
        try authorize(p, for: head, to: "cancel")
        let tasks = live.values.filter { $0.array?.arrayJobId == id }.sorted {
            ($0.state == .pending ? 0 : 1, $0.id) < ($1.state == .pending ? 0 : 1, $1.id)
        }
        guard !tasks.isEmpty else {
            throw ControllerError(.conflict, "array \(id) has ended (all its \(a.taskCount) tasks); nothing to cancel")
        }
        var cancelled = 0
        for t in tasks where t.state == .pending || t.stopRequest == nil || t.stopRequest?.kind == .requeue {
            // A task that ended or started stopping meanwhile is left as it is.
            guard let now = live[t.id], now.state == t.state else { continue }
            do {
                try cancelNow(t.id, by: p)
                cancelled += 1
            } catch {
                logger.info("array task not cancelled", metadata: ["job": "\(t.id)", "error": "\(error)"])
            }
        }
        guard cancelled > 0 else {
            throw ControllerError(.conflict, "array \(id): every unfinished task is already being cancelled")
        }
        logger.info("array cancel", metadata: ["array": "\(id)", "by": "\(p.user)", "tasks": "\(cancelled)"])
        passIfLineLeft()
        settleDependencies()
        await durable()
        let all = try stored { () throws(StateStoreError) in try store.jobs(filter: JobFilter(arrayJobId: id)) }
        return .array(all.map { JobView(live[$0.id] ?? $0) })
    }
}

/// What an action on a job reference (cancel, hold, release, update, signal) did: one job, or the tasks of
/// an array it applied to.
public enum ReferenceOutcome: Sendable {
    /// The job (or array task) as it stands after the action.
    case job(JobView)
    /// Every task of the array, lowest index first, as they stand after the action.
    case array([JobView])
}
