/// How a job named by a dependency stands now: one job's state, or how many of an array's tasks are in
/// each state.
public enum DependencyTargetState: Hashable, Sendable {
    case job(JobState)
    case array([JobState: Int])

    /// Tasks (or the one job) in each state.
    var counts: [JobState: Int] {
        switch self {
        case let .job(s): [s: 1]
        case let .array(c): c
        }
    }
}

/// Whether a dependency lets its job start: yes; not yet (and why, in words); or never (and why).
public enum DependencyStatus: Hashable, Sendable {
    case satisfied
    /// "waiting for job 12 to complete successfully (afterok); it is running"
    case waiting(String)
    /// "job 12 failed (afterok:12)"
    case never(String)
}

extension JobDependency {
    /// Evaluates the dependency. `state` says how each condition's target stands (nil: it no longer exists);
    /// `singletonBlocker` is a job of the same name and user that a `singleton` condition waits for, if any.
    /// Conditions whose target has not been looked up (`target` nil) are taken as the job they name.
    public func status(
        state: (Target) -> DependencyTargetState?, singletonBlocker: Int64? = nil
    ) -> DependencyStatus {
        var waiting: [Wait] = []
        var never: [String] = []
        for c in conditions {
            switch c.evaluate(state: state, singletonBlocker: singletonBlocker) {
            case .satisfied:
                if anyOf { return .satisfied }
            case let .waiting(w):
                waiting.append(w)
            case let .never(why):
                if !anyOf { return .never(why) }
                never.append(why)
            }
        }
        if waiting.isEmpty { return anyOf ? .never(never.joined(separator: "; ")) : .satisfied }
        if waiting.count == 1 { return .waiting(waiting[0].sentence) }
        if anyOf {
            return .waiting("waiting for " + waiting.map { "\($0.what) (\($0.kind))" }.joined(separator: " or "))
        }
        let more = waiting.count - 1
        return .waiting(waiting[0].sentence + " (and \(more) more \(more == 1 ? "dependency" : "dependencies"))")
    }

    /// One condition's wait: what it waits for, its kind, and how the target stands now.
    struct Wait {
        var what: String
        var kind: String
        var now: String

        var sentence: String { "waiting for \(what) (\(kind))" + (now.isEmpty ? "" : "; \(now)") }
    }

    enum ConditionStatus {
        case satisfied
        case waiting(Wait)
        case never(String)
    }
}

extension JobDependency.Condition {
    func evaluate(
        state: (JobDependency.Target) -> DependencyTargetState?, singletonBlocker: Int64?
    ) -> JobDependency.ConditionStatus {
        guard kind != .singleton else {
            guard let b = singletonBlocker else { return .satisfied }
            return .waiting(
                .init(what: "job \(b), of the same name and user, to end", kind: "singleton", now: ""))
        }
        let resolved =
            target
            ?? job.flatMap { j -> JobDependency.Target? in
                if case let .job(id) = j { return .job(id) }
                return nil
            }
        guard let resolved, let now = state(resolved) else {
            return .never("job \(job.map(\.description) ?? "?") no longer exists (\(self))")
        }
        let counts = now.counts
        let pending = counts[.pending] ?? 0
        let running = counts[.running] ?? 0
        let completed = counts[.completed] ?? 0
        let total = counts.values.reduce(0, +)
        let unfinished = pending + running
        let failedOnes = total - unfinished - completed
        let name: String
        let stand: String
        switch now {
        case let .job(s):
            name = "job \(job.map(\.description) ?? "?")"
            stand = "it is \(s)"
        case .array:
            if case let .array(a) = resolved { name = "all \(total) tasks of array \(a)" } else { name = "the array" }
            stand = Self.tally(counts)
        }
        func wait(_ what: String) -> JobDependency.ConditionStatus {
            .waiting(.init(what: "\(name) to \(what)", kind: kind.rawValue, now: stand))
        }
        switch kind {
        case .after:
            return pending == 0 ? .satisfied : wait("start")
        case .afterany:
            return unfinished == 0 ? .satisfied : wait("end")
        case .afterok:
            if failedOnes > 0 {
                return .never("\(Self.failure(now, target: resolved, name: name, counts: counts)) (\(self))")
            }
            return unfinished == 0 ? .satisfied : wait("complete successfully")
        case .afternotok:
            guard unfinished == 0 else { return wait("fail") }
            if failedOnes > 0 { return .satisfied }
            return .never("\(name) completed successfully (\(self))")
        case .singleton:
            return .satisfied
        }
    }

    /// "job 12 failed", "job 12 was cancelled", "2 of the 8 tasks of array 42 did not complete successfully
    /// (1 failed, 1 cancelled)".
    static func failure(
        _ now: DependencyTargetState, target: JobDependency.Target, name: String, counts: [JobState: Int]
    ) -> String {
        switch now {
        case let .job(s):
            switch s {
            case .failed: return "\(name) failed"
            case .cancelled: return "\(name) was cancelled"
            case .timeout: return "\(name) reached its time limit"
            default: return "\(name) is \(s)"
            }
        case .array:
            let bad = [JobState.failed, .cancelled, .timeout].compactMap { s -> (String, Int)? in
                guard let n = counts[s], n > 0 else { return nil }
                return ("\(n) \(s == .timeout ? "timed out" : s.rawValue)", n)
            }
            let total = counts.values.reduce(0, +)
            let array: String
            if case let .array(a) = target { array = "array \(a)" } else { array = "the array" }
            return "\(bad.map(\.1).reduce(0, +)) of the \(total) tasks of \(array) did not complete successfully "
                + "(\(bad.map(\.0).joined(separator: ", ")))"
        }
    }

    /// "3 running, 5 pending, 2 ended".
    static func tally(_ counts: [JobState: Int]) -> String {
        let ended = counts.filter { $0.key.isFinal }.values.reduce(0, +)
        let parts = [("running", counts[.running] ?? 0), ("pending", counts[.pending] ?? 0), ("ended", ended)]
            .filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }
        return parts.isEmpty ? "none yet" : parts.joined(separator: ", ")
    }
}
