/// EASY backfill's one reservation: the first job in queue order that does not fit gets the earliest start
/// the running jobs' time limits (and the reservations) allow, on an allocation chosen now; a later job may
/// start before it only if it ends by then or leaves that allocation free.
///
/// The shadow is the cluster as it will be at `start` if every running job uses its whole time limit, with
/// the reserved job's allocation committed. A job that would still run at `start` may start now only if
/// its allocation also commits on the shadow; then the reserved job still fits at `start`, so it is never
/// delayed.
///
/// The shadow is a view of the live cluster (`BackfillShadow`), built only when a job that would run past
/// `start` asks to start (about half of all plans never meet one): the live cluster with the running jobs
/// that end by `start` (those found when the plan was made, and those started since with an end by `start`)
/// taken off, and the reserved allocation taken. It lives in a box, copied only when a shared plan is about
/// to change (copy on write), so a plan is a small value.
struct BackfillPlan: Sendable {
    var head: Int64
    /// The reserved job's place in line (renewed at each pass: priorities change with time).
    var headKey: QueuePass.SortKey
    var start: Int64
    private var box: Box

    /// What a plan holds besides its head's place and start.
    private final class Box: @unchecked Sendable {
        /// The reserved job, and the allocation it is to start on.
        let headJob: QueuePass.Candidate
        let headAllocation: Allocation
        /// Running jobs that end by `start`: those the plan was made on, and those started since that end by
        /// then. (The box is changed only through `uniqueBox`, by the one plan that holds it, one access at a
        /// time: its fields need no exclusivity check at run time.)
        @exclusivity(unchecked) var endingBefore: [Int64]
        /// The shadow, once built.
        @exclusivity(unchecked) var shadow: BackfillShadow?

        init(headJob: QueuePass.Candidate, headAllocation: Allocation, endingBefore: [Int64], shadow: BackfillShadow?) {
            self.headJob = headJob
            self.headAllocation = headAllocation
            self.endingBefore = endingBefore
            self.shadow = shadow
        }
    }

    var headJob: QueuePass.Candidate { box.headJob }

    /// The earliest start for `head` (which does not fit now), or nil when it cannot start even once every
    /// running job has ended and every window has passed. The running jobs are taken off `state` in order of
    /// their ends until `head` fits, and put back: `state` is as it was afterwards.
    static func make(
        for head: QueuePass.Candidate, key: QueuePass.SortKey, state: inout ClusterState, book: QueueBook,
        now: Int64, work: inout QueuePass.Work
    ) -> BackfillPlan? {
        var ends: [(end: Int64, id: Int64)] = []
        ends.reserveCapacity(book.running.count)
        // Each running job's end is read in place (a walk of the table would copy every allocation).
        for at in book.running.positions {
            if let end = book.running[position: at]?.end { ends.append((max(end, now), book.running.id(position: at))) }
        }
        // Few running jobs, as a rule: sorted in place by insertion (a merge sort would allocate).
        if ends.count <= 32 {
            for i in ends.indices.dropFirst() {
                let e = ends[i]
                var j = i
                while j > 0 && e < ends[j - 1] {
                    ends[j] = ends[j - 1]
                    j -= 1
                }
                ends[j] = e
            }
        } else {
            ends.sort { $0 < $1 }
        }
        // Windows that end later may unblock it too.
        let windowEnds = book.reservations.ends(after: now)
        var taken: [Allocation] = []
        taken.reserveCapacity(ends.count)
        defer {
            // Put the running jobs back; their commits are not new placements (the job-mix measure stays).
            let records = state.recordsMix
            state.recordsMix = false
            for a in taken.reversed() { state.retake(a) }
            state.recordsMix = records
        }
        var free = state.totalFreeGPUs
        let need = head.gpuCount
        var i = 0
        var w = windowEnds.startIndex
        while i < ends.count || w < windowEnds.endIndex {
            let t = min(i < ends.count ? ends[i].end : .max, w < windowEnds.endIndex ? windowEnds[w] : .max)
            while i < ends.count && ends[i].end == t {
                let allocation = book.running[ends[i].id]!.allocation
                if (try? state.release(allocation)) != nil { taken.append(allocation) }
                free += allocation.gpuCount
                i += 1
            }
            while w < windowEnds.endIndex && windowEnds[w] == t { w += 1 }
            if need > free { continue }
            work.planPlacements += 1
            let limit = max(head.timeLimit, 1)
            if case let .success(d) = QueuePass.place(
                head, on: &state, reservations: book.reservations, from: t, until: t + limit, explain: false)
            {
                return BackfillPlan(
                    head: head.id, headKey: key, start: t,
                    box: Box(
                        headJob: head, headAllocation: d.allocation, endingBefore: ends[..<i].map(\.id), shadow: nil))
            }
        }
        return nil
    }

    /// A running job stopped holding its allocation: if it was to end by `start`, the shadow no longer frees
    /// it (the live cluster has it back).
    mutating func jobEnded(_ allocation: Allocation, expectedEnd: Int64) {
        guard expectedEnd <= start, box.shadow != nil else { return }
        uniqueBox().shadow!.unfree(allocation)
    }

    /// Whether job `id` on `allocation` until `end` leaves the reservation intact; if so, it is counted among
    /// the jobs that end by `start` when it does. `state` and `running` are the cluster and the running jobs
    /// before it starts (to build the shadow the first time one is needed).
    mutating func admit(
        id: Int64, _ allocation: Allocation, until end: Int64, state: ClusterState, running: JobTable<QueueBook.Running>
    ) -> Bool {
        let b = uniqueBox()
        if end <= start {
            b.endingBefore.append(id)
            b.shadow?.free(allocation)
            return true
        }
        if b.shadow == nil {
            var shadow = BackfillShadow(taking: b.headAllocation)
            for id in b.endingBefore {
                if let r = running[id], r.end <= start { shadow.free(r.allocation) }
            }
            guard shadow.holdsReserved(b.headAllocation, on: state) else { return false }
            b.shadow = shadow
        }
        return b.shadow!.admits(allocation, on: state)
    }

    /// Takes back what `admit` noted for a start that was undone.
    mutating func unadmit(_ allocation: Allocation, until end: Int64) {
        guard end <= start, box.shadow != nil else { return }
        uniqueBox().shadow!.unfree(allocation)
    }

    /// The box, to change it: copied first if another plan value shares it.
    private mutating func uniqueBox() -> Box {
        if !isKnownUniquelyReferenced(&box) {
            box = Box(
                headJob: box.headJob, headAllocation: box.headAllocation, endingBefore: box.endingBefore,
                shadow: box.shadow)
        }
        return box
    }
}
