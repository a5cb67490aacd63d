import Scheduler

/// The final states of the jobs that ended most recently, by id: what a dependency needs to know of a job
/// that has left the job cache before its row is certainly on disk (job changes are written behind,
/// `ControllerCore+Durability`), and of jobs already read once from the store. Bounded: the oldest are
/// forgotten first, long after they were written.
struct EndedJobs: Sendable {
    private var states: [Int64: JobState] = [:]
    private var order: [Int64] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int = 100_000) { self.capacity = max(capacity, 1) }

    /// The final state of job `id`, when it is known here.
    subscript(id: Int64) -> JobState? { states[id] }

    /// Remembers that job `id` ended in `state`, forgetting the oldest when full.
    mutating func note(_ id: Int64, _ state: JobState) {
        if states.updateValue(state, forKey: id) != nil { return }
        if order.count < capacity {
            order.append(id)
        } else {
            states[order[next]] = nil
            order[next] = id
            next = (next + 1) % capacity
        }
    }
}
