/// EASY backfill's one reservation: the first job in queue order that does not fit gets the earliest start
/// the running jobs' time limits (and the reservations) allow, on an allocation chosen now; a later job may
/// start before it only if it ends by then or leaves that allocation free.
///
/// `shadow` is the cluster as it will be at `start` if every running job uses its whole time limit, with
/// the reserved job's allocation committed. A job that would still run at `start` may start now only if
/// its allocation also commits on `shadow`; then the reserved job still fits at `start`, so it is never
/// delayed.
struct BackfillPlan: Sendable {
    var head: Int64
    /// The reserved job, and its place in line (renewed at each pass: priorities change with time).
    var headJob: QueuePass.Candidate
    var headKey: QueuePass.SortKey
    var start: Int64
    var shadow: ClusterState

    /// The earliest start for `head` (which does not fit now) and the shadow cluster, or nil when it cannot
    /// start even once every running job has ended and every window has passed.
    static func make(
        for head: QueuePass.Candidate, key: QueuePass.SortKey, state: ClusterState, book: QueueBook, now: Int64,
        work: inout QueuePass.Work
    ) -> BackfillPlan? {
        var shadow = state
        var ends = book.running.map { (id: $0.key, end: max($0.value.end, now), allocation: $0.value.allocation) }
        ends.sort { ($0.end, $0.id) < ($1.end, $1.id) }
        // Windows that end later may unblock it too.
        var windowEnds = book.reservations.reservations.map(\.end).filter { $0 > now }
        windowEnds.sort()
        var free = shadow.totalFreeGPUs
        let need = head.gpuCount
        var i = 0
        var w = 0
        while i < ends.count || w < windowEnds.count {
            let t = min(i < ends.count ? ends[i].end : .max, w < windowEnds.count ? windowEnds[w] : .max)
            while i < ends.count && ends[i].end == t {
                try? shadow.release(ends[i].allocation)
                free += ends[i].allocation.gpuCount
                i += 1
            }
            while w < windowEnds.count && windowEnds[w] == t { w += 1 }
            if need > free { continue }
            work.planPlacements += 1
            let limit = max(head.timeLimit, 1)
            if case let .success(d) = QueuePass.place(
                head, on: &shadow, reservations: book.reservations, from: t, until: t + limit),
                (try? shadow.commit(d.allocation)) != nil
            {
                return BackfillPlan(head: head.id, headJob: head, headKey: key, start: t, shadow: shadow)
            }
        }
        return nil
    }

    /// A running job stopped holding its allocation: if it was to run past `start`, the shadow gets it back.
    mutating func jobEnded(_ allocation: Allocation, expectedEnd: Int64) {
        if expectedEnd > start { try? shadow.release(allocation) }
    }

    /// Whether a job on `allocation` until `end` leaves the reservation intact; if so (and it runs past
    /// `start`), it is now held in the shadow too.
    mutating func admit(_ allocation: Allocation, until end: Int64) -> Bool {
        if end <= start { return true }
        return (try? shadow.commit(allocation)) != nil
    }
}
