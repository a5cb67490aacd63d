/// EASY backfill's one reservation: the first job in queue order that does not fit gets the earliest start
/// the running jobs' time limits (and the reservations) allow, on an allocation chosen now; a later job may
/// start before it only if it ends by then or leaves that allocation free.
///
/// `shadow` is the cluster as it will be at `start` if every running job uses its whole time limit, with
/// the reserved job's allocation committed. A job that would still run at `start` may start now only if
/// its allocation also commits on `shadow`; then the reserved job still fits at `start`, so it is never
/// delayed.
///
/// A small value: the reserved job's request and the shadow cluster live in a box, copied only when a
/// shared plan is about to change (copy on write).
struct BackfillPlan: Sendable {
    var head: Int64
    /// The reserved job's place in line (renewed at each pass: priorities change with time).
    var headKey: QueuePass.SortKey
    var start: Int64
    private var box: Box

    init(head: QueuePass.Candidate, headKey: QueuePass.SortKey, start: Int64, shadow: ClusterState) {
        self.head = head.id
        self.headKey = headKey
        self.start = start
        box = Box(headJob: head, state: shadow)
    }

    /// The reserved job.
    var headJob: QueuePass.Candidate { box.headJob }

    /// The cluster at `start` as planned (read only; change it through the plan's methods).
    var shadow: ClusterState { box.state }

    private final class Box: @unchecked Sendable {
        let headJob: QueuePass.Candidate
        var state: ClusterState
        init(headJob: QueuePass.Candidate, state: ClusterState) {
            self.headJob = headJob
            self.state = state
        }
    }

    /// The box, to change its shadow: copied first if another plan value shares it.
    private mutating func uniqueShadow() -> Box {
        if !isKnownUniquelyReferenced(&box) { box = Box(headJob: box.headJob, state: box.state) }
        return box
    }

    /// The earliest start for `head` (which does not fit now) and the shadow cluster, or nil when it cannot
    /// start even once every running job has ended and every window has passed.
    static func make(
        for head: QueuePass.Candidate, key: QueuePass.SortKey, state: ClusterState, book: QueueBook, now: Int64,
        work: inout QueuePass.Work
    ) -> BackfillPlan? {
        var shadow = state
        // Placements on the shadow are not the cluster's: they do not move its measure of the job mix.
        shadow.recordsMix = false
        var ends: [(end: Int64, id: Int64)] = []
        ends.reserveCapacity(book.running.count)
        for (id, r) in book.running { ends.append((max(r.end, now), id)) }
        ends.sort { $0 < $1 }
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
                let allocation = book.running[ends[i].id]!.allocation
                try? shadow.release(allocation)
                free += allocation.gpuCount
                i += 1
            }
            while w < windowEnds.count && windowEnds[w] == t { w += 1 }
            if need > free { continue }
            work.planPlacements += 1
            let limit = max(head.timeLimit, 1)
            if case let .success(d) = QueuePass.place(
                head, on: &shadow, reservations: book.reservations, from: t, until: t + limit, explain: false),
                (try? shadow.commit(d.allocation)) != nil
            {
                return BackfillPlan(head: head, headKey: key, start: t, shadow: shadow)
            }
        }
        return nil
    }

    /// A running job stopped holding its allocation: if it was to run past `start`, the shadow gets it back.
    mutating func jobEnded(_ allocation: Allocation, expectedEnd: Int64) {
        if expectedEnd > start { try? uniqueShadow().state.release(allocation) }
    }

    /// Whether a job on `allocation` until `end` leaves the reservation intact; if so (and it runs past
    /// `start`), it is now held in the shadow too.
    mutating func admit(_ allocation: Allocation, until end: Int64) -> Bool {
        if end <= start { return true }
        return (try? uniqueShadow().state.commit(allocation)) != nil
    }

    /// Gives back what `admit` took for a start that was undone.
    mutating func unadmit(_ allocation: Allocation) { try? uniqueShadow().state.release(allocation) }
}
