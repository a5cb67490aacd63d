import Scheduler

/// The pending jobs that wait for more than resources — a hold, a begin time, a dependency, or their array's
/// cap on running tasks —
/// and what they wait for, kept in step with the job cache so a change of another job can be told apart
/// cheaply: does any waiting job care? (`ControllerCore+Dependencies`)
struct GateIndex: Sendable {
    /// Pending jobs with a hold, a begin time, a dependency, or in an array with a cap.
    private(set) var gated: Set<Int64> = []
    /// The begin time of each pending job that has one (seconds since the epoch).
    private(set) var begins: [Int64: Int64] = [:]
    /// Running tasks per job array (by the array's id), stopping ones included: they hold their resources.
    private(set) var runningPerArray: [Int64: Int] = [:]
    /// How many gated jobs name each job, each array, and each (user, name) for `singleton`.
    private var watchedJobs: [Int64: Int] = [:]
    private var watchedArrays: [Int64: Int] = [:]
    private var watchedNames: [String: Int] = [:]

    /// Follows a job from `old` (as cached; nil when it was not) to `new`.
    mutating func update(old: Job?, new: Job) {
        if let a = new.array?.arrayJobId {
            let delta = (new.state == .running ? 1 : 0) - (old?.state == .running ? 1 : 0)
            if delta != 0 {
                let n = (runningPerArray[a] ?? 0) + delta
                runningPerArray[a] = n > 0 ? n : nil
            }
        }
        if let old, Self.isGated(old) { watch(old, by: -1) }
        if Self.isGated(new) {
            watch(new, by: 1)
            gated.insert(new.id)
        } else {
            gated.remove(new.id)
        }
        begins[new.id] = new.state == .pending ? new.controls.begin : nil
    }

    /// Whether a change of `job`'s state may change whether a gated job may start.
    func concerns(_ job: Job) -> Bool {
        if gated.isEmpty { return false }
        if watchedJobs[job.id] != nil { return true }
        if let a = job.array?.arrayJobId, watchedArrays[a] != nil { return true }
        return !watchedNames.isEmpty && watchedNames[Self.nameKey(job)] != nil
    }

    static func isGated(_ j: Job) -> Bool {
        j.state == .pending
            && (j.dependency != nil || j.array?.limit != nil || j.controls.hold != nil || j.controls.begin != nil)
    }

    /// The key `singleton` matches jobs by: the same user and name.
    static func nameKey(_ j: Job) -> String { j.user + "\u{0}" + j.name }

    private mutating func watch(_ j: Job, by delta: Int) {
        for c in j.dependency?.conditions ?? [] {
            switch (c.kind, c.target ?? c.job.flatMap(Self.plainTarget)) {
            case (.singleton, _): Self.count(&watchedNames, Self.nameKey(j), delta)
            case let (_, .job(id)?): Self.count(&watchedJobs, id, delta)
            case let (_, .array(id)?): Self.count(&watchedArrays, id, delta)
            case (_, nil): break
            }
        }
    }

    private static func plainTarget(_ r: JobReference) -> JobDependency.Target? {
        if case let .job(id) = r { return .job(id) }
        return nil
    }

    private static func count<K: Hashable>(_ d: inout [K: Int], _ k: K, _ delta: Int) {
        let n = (d[k] ?? 0) + delta
        d[k] = n > 0 ? n : nil
    }
}
