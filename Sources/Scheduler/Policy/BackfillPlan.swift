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
/// that end by `start` taken off (those running then: the ones found when the plan was made, and those
/// started since with an end by `start`, which every start while the plan stands is), and the reserved
/// allocation taken. It lives in the plan's `Storage`, copied only when a shared plan is about to change
/// (copy on write), so a plan is a small value.
struct BackfillPlan: Sendable {
    var head: Int64
    /// The reserved job's place in line (renewed at each pass: priorities change with time).
    var headKey: QueuePass.SortKey
    /// When the reserved job is to start (read only once the plan is worked out: `isDeferred` false).
    var start: Int64 {
        assert(!isDeferred, "the start of a deferred plan is read before it is worked out")
        return knownStart
    }
    private var knownStart: Int64
    /// The search is put off (`deferred`): the plan knows its job and its place in line, and when its search
    /// would have run, but not yet its start or allocation. (The same as the storage's `deferred` being set, kept
    /// here too: every pass and offer asks it, and reading it here does not reach into the storage.)
    private(set) var isDeferred = false
    private var storage: Storage

    /// What a plan holds besides its head's place and start.
    ///
    /// Its fields are exempt from Swift's run-time exclusivity checks (`@exclusivity(unchecked)`): a class's
    /// stored properties are otherwise checked on every access, and a pass reads and changes them on every
    /// admitted job. The exemption is sound because a storage is private to `BackfillPlan` and is changed only
    /// through `change`, on a storage `uniqueStorage` has just made unique to the one plan value that changes
    /// it (a `Sendable` plan shared with another thread is copied before it changes); nothing a change calls
    /// reaches back into the storage. Debug builds check this instead: `change` marks the storage as changing
    /// while its body runs, and a change or read that begins meanwhile fails an assertion.
    private final class Storage: @unchecked Sendable {
        /// The reserved job, and the allocation it is to start on (none while the plan is deferred).
        let headJob: QueuePass.Candidate
        @exclusivity(unchecked) var headAllocation: Allocation
        /// The shadow, once built.
        @exclusivity(unchecked) var shadow: BackfillShadow?
        /// While deferred: what the search needs to run as it would have when the plan was made.
        @exclusivity(unchecked) var deferred: Deferred?

        init(headJob: QueuePass.Candidate, headAllocation: Allocation, shadow: BackfillShadow?, deferred: Deferred?) {
            self.headJob = headJob
            self.headAllocation = headAllocation
            self.shadow = shadow
            self.deferred = deferred
        }

        /// Whether a `change` is under way (debug builds; release builds never set it).
        private(set) var isChanging = false

        /// Runs `body`, which changes the storage's fields; debug builds assert that no other change is under
        /// way, and mark this one as under way while `body` runs.
        @inline(__always)
        func change<R>(_ body: (Storage) -> R) -> R {
            assert(beginChange(), "a backfill plan's storage changes while it is being changed")
            defer { assert(endChange()) }
            return body(self)
        }

        /// Whether the storage may be read now: no change is under way (for `assert`).
        var isSettled: Bool { !isChanging }

        private func beginChange() -> Bool {
            defer { isChanging = true }
            return !isChanging
        }

        private func endChange() -> Bool {
            isChanging = false
            return true
        }
    }

    /// A deferred plan's record: when it was made, and a time its start cannot come before (the earliest time
    /// limit of the jobs then running). The jobs that end meanwhile are the book's to keep
    /// (`QueueBook.endedSincePlan`; each was running when the plan was made: a job that starts while a plan
    /// stands is admitted, and the plan is worked out first).
    struct Deferred: Sendable {
        let madeAt: Int64
        let notBefore: Int64
    }

    /// A job that ended while a plan was deferred: the end of its time limit, its id, and what it held.
    typealias Ended = (end: Int64, id: Int64, allocation: Allocation)

    /// The reserved job, read where the plan holds it (a copy would count its references on every pass).
    var headJob: QueuePass.Candidate {
        _read { yield storage.headJob }
    }

    /// A running job's end as a plan's search sees it (no earlier than now), its id, and its place in the
    /// book's table of running jobs (−1 once the search could not take it off the cluster).
    typealias End = (end: Int64, id: Int64, position: Int)

    /// The earliest start for `head` (which does not fit now), or nil when it cannot start even once every
    /// running job has ended and every window has passed. The running jobs are taken off `state` in order of
    /// their ends until `head` fits, and put back: `state` is as it was afterwards. `ends` is storage for the
    /// search, kept by the caller from one plan to the next (its contents are not used).
    static func make(
        for head: QueuePass.Candidate, key: QueuePass.SortKey, state: inout ClusterState, book: QueueBook,
        now: Int64, work: inout QueuePass.Counters, ends: inout [End]
    ) -> BackfillPlan? {
        guard let (start, allocation) = search(for: head, state: &state, book: book, now: now, work: &work, ends: &ends)
        else { return nil }
        return BackfillPlan(
            head: head.id, headKey: key, knownStart: start,
            storage: Storage(headJob: head, headAllocation: allocation, shadow: nil, deferred: nil))
    }

    /// A plan for `head` whose search is put off until something reads its start or admits a job against it
    /// (`workOut`); some 60 % of plans end (their job starts) before either. The caller guarantees that
    /// the search would find a start: `head` fits the cluster once every running job has ended (every node
    /// up, no reservation), and some job runs. The search then runs on the cluster as it is at that time,
    /// with the jobs that ended since taken back for the while (the book keeps them from now on, in
    /// `endedSincePlan`), and so finds what it would have found now.
    static func deferred(for head: QueuePass.Candidate, key: QueuePass.SortKey, book: QueueBook, now: Int64)
        -> BackfillPlan
    {
        // The search's first moment is the earliest end of a running job's time limit (no earlier than now).
        var notBefore = Int64.max
        book.running.forEachInPlace { _, _, r in notBefore = min(notBefore, max(r.pointee.end, now)) }
        var plan = BackfillPlan(
            head: head.id, headKey: key, knownStart: .max,
            storage: Storage(
                headJob: head, headAllocation: Allocation(nodes: [], sharedStorage: .zero, gpuModel: nil),
                shadow: nil, deferred: Deferred(madeAt: now, notBefore: notBefore)))
        plan.isDeferred = true
        return plan
    }

    /// A time the reserved start does not come before: the start, or while deferred the earliest end of a
    /// time limit the search would have met.
    var notBefore: Int64 {
        guard isDeferred else { return knownStart }
        assert(storage.isSettled, "a backfill plan's storage is read while it is being changed")
        return storage.deferred!.notBefore
    }

    /// Runs a deferred plan's search, on `state` with the jobs that ended since it was made taken back for the
    /// while, as it would have run then (their commits are not new placements: the job-mix measure stays).
    mutating func workOut(
        state: inout ClusterState, book: QueueBook, work: inout QueuePass.Counters, ends: inout [End]
    ) {
        guard isDeferred else { return }
        let b = uniqueStorage()
        assert(b.isSettled, "a backfill plan's storage is read while it is being changed")
        let d = b.deferred!
        let records = state.recordsMix
        state.recordsMix = false
        let ended = book.endedSincePlan
        for k in ended.indices { state.commitKnownToFit(ended[k].allocation) }
        let found = Self.search(
            for: b.headJob, state: &state, book: book, now: d.madeAt, work: &work, ends: &ends, phantoms: ended)
        for k in ended.indices { state.releaseKnownHeld(ended[k].allocation) }
        state.recordsMix = records
        // (The caller's guarantee: the job fits once everything has ended.)
        let (start, allocation) = found!
        knownStart = start
        b.change {
            $0.headAllocation = allocation
            $0.deferred = nil
        }
        isDeferred = false
    }

    /// The earliest start for `head` from `now` and the allocation it would start on, or nil (see `make`).
    /// `phantoms`: jobs that ran at `now` and have ended since, held on `state` again for the search, with the
    /// ends of their time limits.
    private static func search(
        for head: QueuePass.Candidate, state: inout ClusterState, book: QueueBook, now: Int64,
        work: inout QueuePass.Counters, ends: inout [End],
        phantoms: [Ended] = []
    ) -> (Int64, Allocation)? {
        // Each running job's end is read in place (a walk of the table would copy every allocation), into
        // storage grown or cut to the running jobs' count first (so no append checks the storage's uniqueness
        // and capacity once per job). A phantom's place is −2 − its index.
        let n = book.running.count + phantoms.count
        while ends.count < n { ends.append((0, 0, 0)) }
        if ends.count > n { ends.removeLast(ends.count - n) }
        ends.withUnsafeMutableBufferPointer { e in
            var k = 0
            book.running.forEachInPlace { id, at, r in
                e[k] = (max(r.pointee.end, now), id, at)
                k += 1
            }
            for p in phantoms.indices {
                e[k] = (max(phantoms[p].end, now), phantoms[p].id, -2 - p)
                k += 1
            }
        }
        // Windows that end later may unblock it too.
        let windowEnds = book.reservations.ends(after: now)
        var released = 0
        defer {
            // Put the running jobs back, the last taken off first; their commits are not new placements (the
            // job-mix measure stays).
            let records = state.recordsMix
            state.recordsMix = false
            for j in ends[..<released].indices.reversed() where ends[j].position != -1 {
                let at = ends[j].position
                if at >= 0 {
                    book.running.withValue(position: at) { state.commitKnownToFit($0.pointee.allocation) }
                } else {
                    state.commitKnownToFit(phantoms[-2 - at].allocation)
                }
            }
            state.recordsMix = records
        }
        var free = state.totalFreeGPUs
        let need = head.gpuCount
        let trusted = book.runningHeldOnCluster
        var w = windowEnds.startIndex
        // The ends are put in order only as far as the search goes (it mostly stops after one or two): the
        // least of those left is brought forward when the next is needed.
        if !ends.isEmpty { Self.bringLeast(&ends, to: 0) }
        while released < ends.count || w < windowEnds.endIndex {
            let t = min(
                released < ends.count ? ends[released].end : .max, w < windowEnds.endIndex ? windowEnds[w] : .max)
            while released < ends.count && ends[released].end == t {
                // (Read where the table holds it: unwrapping a running job first, or handing it to this closure,
                // would copy all of it.)
                let at = ends[released].position
                let taken =
                    at >= 0
                    ? book.running.withValue(position: at) { r in
                        if trusted {
                            state.releaseKnownHeld(r.pointee.allocation)
                            return (released: true, gpus: r.pointee.gpus)
                        }
                        return (released: (try? state.release(r.pointee.allocation)) != nil, gpus: r.pointee.gpus)
                    }
                    : Self.releasePhantom(phantoms, -2 - at, on: &state)
                if let taken {
                    if !taken.released { ends[released].position = -1 }
                    free += taken.gpus
                }
                released += 1
                if released < ends.count { Self.bringLeast(&ends, to: released) }
            }
            while w < windowEnds.endIndex && windowEnds[w] == t { w += 1 }
            if need > free { continue }
            work.planPlacements += 1
            let limit = max(head.timeLimit, 1)
            if case let .success(d) = QueuePass.place(
                head, on: &state, reservations: book.reservations, from: t, until: t + limit, explain: false)
            {
                return (t, d.allocation)
            }
        }
        return nil
    }

    /// Gives a phantom's allocation back for the search (a deferred plan's phantoms are held, taken back a
    /// moment ago).
    private static func releasePhantom(_ phantoms: [Ended], _ k: Int, on state: inout ClusterState)
        -> (released: Bool, gpus: Int)
    {
        state.releaseKnownHeld(phantoms[k].allocation)
        return (true, phantoms[k].allocation.gpuCount)
    }

    /// Swaps the least of `ends[from...]` (by end, then id) into `from`.
    private static func bringLeast(_ ends: inout [End], to from: Int) {
        ends.withUnsafeMutableBufferPointer { e in
            // (The least so far is kept in locals, and the ids compared only on equal ends: a comparison of the
            // tuples would read both elements anew at every step.)
            var least = from
            var (end, id) = (e[from].end, e[from].id)
            var i = from &+ 1
            while i < e.count {
                if e[i].end < end || (e[i].end == end && e[i].id < id) {
                    least = i
                    (end, id) = (e[i].end, e[i].id)
                }
                i &+= 1
            }
            if least != from { e.swapAt(from, least) }
        }
    }

    /// A running job stopped holding its allocation: if it was to end by `start`, the shadow no longer frees
    /// it (the live cluster has it back).
    mutating func jobEnded(_ allocation: Allocation, expectedEnd: Int64) {
        guard !isDeferred, expectedEnd <= start, hasShadow else { return }
        uniqueStorage().change { $0.shadow!.unfree(allocation) }
    }

    /// Whether a job on `allocation` until `end` leaves the reservation intact; if it ends by `start`, the
    /// shadow (once built) frees it then. `state` and `running` are the cluster and the running jobs before it
    /// starts (to build the shadow the first time one is needed).
    mutating func admit(
        _ allocation: Allocation, until end: Int64, state: ClusterState, running: JobTable<QueueBook.Running>
    ) -> Bool {
        assert(!isDeferred, "a job is admitted against a deferred plan")
        if end <= start {
            if hasShadow { uniqueStorage().change { $0.shadow!.free(allocation) } }
            return true
        }
        let b = uniqueStorage()
        assert(b.isSettled, "a backfill plan's storage is read while it is being changed")
        if b.shadow == nil {
            // Every running job that ends by the start: each was running when the plan was made or started
            // since through `admit` (a start while a plan stands is admitted, or it ends the plan).
            var shadow = BackfillShadow(taking: b.headAllocation)
            running.forEachInPlace { _, _, r in if r.pointee.end <= start { shadow.free(r.pointee.allocation) } }
            guard shadow.holdsReserved(b.headAllocation, on: state) else { return false }
            b.change { $0.shadow = shadow }
        }
        return b.shadow!.admits(allocation, on: state)
    }

    /// Takes back what `admit` noted for a start that was undone.
    mutating func unadmit(_ allocation: Allocation, until end: Int64) {
        guard end <= start, hasShadow else { return }
        uniqueStorage().change { $0.shadow!.unfree(allocation) }
    }

    /// Whether the shadow is built.
    private var hasShadow: Bool {
        assert(storage.isSettled, "a backfill plan's storage is read while it is being changed")
        return storage.shadow != nil
    }

    /// The storage, to change it (through `Storage.change`): copied first if another plan value shares it.
    private mutating func uniqueStorage() -> Storage {
        if !isKnownUniquelyReferenced(&storage) {
            assert(storage.isSettled, "a backfill plan's storage is copied while it is being changed")
            storage = Storage(
                headJob: storage.headJob, headAllocation: storage.headAllocation, shadow: storage.shadow,
                deferred: storage.deferred)
        }
        return storage
    }
}
