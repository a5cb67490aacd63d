/// One scheduling pass: the queue policy the controller runs at wall-clock time and the simulator at
/// virtual time (docs/architecture.md, "One engine, two clocks"). There is no other copy of it.
///
/// The waiting jobs are put in order (submission order, or multifactor `Priority` under `fairshare`) and
/// offered one by one:
/// - a job that would pass its account's limits waits, with the limit named;
/// - a job is kept off nodes that a reservation holds at any moment of its time limit;
/// - a job that fits starts: its placement is committed on the cluster and recorded in the `QueueBook`;
/// - under `fifo` a job that does not fit never holds back the jobs behind it;
/// - under `strict-fifo` the first job in line that does not start holds back every job behind it
///   (`LineHead`): they wait behind it, and nothing starts out of order;
/// - under `backfill` and `fairshare` (EASY backfill) the first job that does not fit gets a reservation at
///   the earliest time it can start (`BackfillPlan`), and a job behind it starts now only if it ends by then
///   or leaves the reserved allocation free, so the reservation is never delayed.
///
/// A job asking for more GPUs than are free anywhere is not placed at all (`Counters.skipped`), so a pass over a
/// deep queue on a busy cluster costs a comparison per job.
public enum QueuePass {
    /// A job offered to the pass.
    public struct Candidate: Sendable {
        public var id: Int64
        public var request: ResourceRequest {
            get { shared.request }
            set { shared = SharedRequest(newValue, account: shared.account) }
        }
        /// The request and the account, held by reference: a candidate is made, copied and dropped many times
        /// in a pass, and a request is some 200 bytes (and the account's name, held here, is not retained on
        /// each). Candidates of jobs with the same request and account may share one (`WaitQueue` does).
        var shared: SharedRequest
        public var account: String {
            get { shared.account }
            set { shared = SharedRequest(shared, account: newValue) }
        }
        /// The account's number in a queue book, when the candidate's source knew it (checked before use).
        var accountHint = -1
        /// When it was submitted (its age, and its place in submission order).
        public var submit: Int64
        /// Seconds it may run.
        public var timeLimit: Int64
        /// Subtracted from its priority (admins may set it; `fairshare` only).
        public var nice: Int

        public init(
            id: Int64, request: ResourceRequest, account: String = "", submit: Int64 = 0, timeLimit: Int64 = 86_400,
            nice: Int = 0
        ) {
            self.init(
                id: id, shared: SharedRequest(request, account: account), submit: submit, timeLimit: timeLimit,
                nice: nice)
        }

        init(id: Int64, shared: SharedRequest, submit: Int64, timeLimit: Int64, nice: Int) {
            self.id = id
            self.shared = shared
            self.submit = submit
            self.timeLimit = timeLimit
            self.nice = nice
        }

        /// GPUs it holds when it runs (0 when the request gives no count).
        var gpuCount: Int { shared.gpuCount }
    }

    /// A request and the account it is made for, which candidates share, with its GPU count worked out once,
    /// and (when made for a cluster) its resolution on that cluster (the partition's defaults applied, the node
    /// types that can hold it).
    final class SharedRequest: Sendable {
        let request: ResourceRequest
        let account: String
        let gpuCount: Int
        /// The cluster it was resolved on, and the resolution or the refusal.
        let resolvedOn: ClusterState.SpecIndex?
        let resolved: ResolvedRequest?
        let refused: PlacementRefusal?
        /// It was resolved on the idle cluster (every node up, nothing held) and placed there: once every job
        /// has ended, with every node up and no reservation, it fits (a backfill plan's search then finds a
        /// start, `QueueBook.defersPlans`).
        let fitsIdle: Bool

        /// `other`'s request, with its resolution, for `account`.
        init(_ other: SharedRequest, account: String) {
            request = other.request
            self.account = account
            gpuCount = other.gpuCount
            resolvedOn = other.resolvedOn
            resolved = other.resolved
            refused = other.refused
            fitsIdle = other.fitsIdle
        }

        init(_ request: ResourceRequest, account: String, resolvedOn state: ClusterState? = nil) {
            self.request = request
            self.account = account
            gpuCount = request.gpuCount ?? 0
            resolvedOn = state?.specIndex
            switch state?.resolve(request) {
            case let .success(r)?:
                resolved = r
                refused = nil
                if let state, state.isIdle, case .success = state.place(resolved: r, explain: false) {
                    fitsIdle = true
                } else {
                    fitsIdle = false
                }
            case let .failure(e)?:
                resolved = nil
                refused = e
                fitsIdle = false
            case nil:
                resolved = nil
                refused = nil
                fitsIdle = false
            }
        }
    }

    /// A job's place in line: higher priority first, then earlier submission, then lower id.
    public struct SortKey: Hashable, Sendable, Comparable {
        public var priority: Double
        public var submit: Int64
        public var id: Int64

        public static func < (a: SortKey, b: SortKey) -> Bool {
            if a.priority != b.priority { return a.priority > b.priority }
            return (a.submit, a.id) < (b.submit, b.id)
        }

        /// A key not worked out yet (a pass sets a bucket aside before it needs the key); never compared.
        static let unknown = SortKey(priority: .nan, submit: .min, id: .min)
        var isUnknown: Bool { priority.isNaN }
    }

    /// Why a job stays waiting.
    public enum Wait: Sendable, Hashable {
        /// It does not fit now: the engine's refusal, or nil when it was skipped for want of free GPUs (its
        /// reason has not changed in kind: ask `place` if none is known).
        case noRoom(PlacementRefusal?)
        /// It is the first job in line that does not fit: reserved to start at `at`.
        case reserved(at: Int64, PlacementRefusal?)
        /// It fits now, but would run past the reserved start of job `job` at `at` on resources that job needs.
        case held(by: Int64, at: Int64)
        /// An account limit, in words.
        case limit(String)
        /// It does not fit; these running jobs of lower-tier preemptible partitions are to be requeued to make
        /// room (the caller stops them; the job starts once they have given their resources back).
        case preempting([Int64])
        /// Under strict-fifo: job `job`, ahead of it in line, does not start, and nothing passes it.
        case behind(Int64)

        /// One line for people; `time` renders an engine time.
        public func reason(time: (Int64) -> String) -> String? {
            switch self {
            case let .noRoom(r): return r?.reason
            case let .reserved(at, r):
                return (r.map { $0.reason + "; " } ?? "")
                    + "first in line: reserved to start by \(time(at)) (backfill may not delay it)"
            case let .held(job, at):
                return "resources are free, but its time limit would delay job \(job), reserved to start at "
                    + "\(time(at)) (backfill)"
            case let .limit(s): return s
            case let .preempting(ids):
                return "preempting job" + (ids.count == 1 ? " " : "s ") + ids.map(String.init).joined(separator: ", ")
                    + " (lower-tier preemptible partition) to make room; it starts once they are requeued"
            case let .behind(job): return "waits behind job \(job) (strict-fifo: nothing passes the first job in line)"
            }
        }

        public var refusal: PlacementRefusal? {
            switch self {
            case let .noRoom(r), let .reserved(_, r): return r
            case .held, .limit, .preempting, .behind: return nil
            }
        }
    }

    /// What the pass did, for metrics and tests of its cost.
    public struct Counters: Hashable, Sendable {
        public var placements = 0
        public var skipped = 0
        public var started = 0
        /// Of the started, those that started behind a reserved job (backfilled).
        public var backfilled = 0
        /// Reservations made, and the placements their searches tried (a reservation whose search was deferred
        /// and never needed, `QueueBook.defersPlans`, tried none).
        public var plans = 0
        public var planPlacements = 0
        /// Jobs offered one by one (each costs a sort key, and at most one placement).
        public var offered = 0
        /// Jobs passed over in a run, without being offered: the job before them in their bucket would have
        /// delayed the reservation on the same allocation, and they would run past the reserved start too.
        public var delayed = 0
        /// Jobs passed over in a run, without being offered, while a window is in force: the job before them in
        /// their bucket could not be placed, and their time limits are as long or longer.
        public var refusedAlike = 0
        /// Jobs that had others preempted for them, and the placements the victim search tried.
        public var preemptions = 0
        public var preemptionPlacements = 0

        public init(placements: Int = 0, skipped: Int = 0, started: Int = 0) {
            self.placements = placements
            self.skipped = skipped
            self.started = started
        }
    }

    /// The job's sort key under the book's policy at `now`.
    public static func key(_ c: Candidate, book: inout QueueBook, now: Int64) -> SortKey {
        key(c, accountId: nil, book: &book, now: now)
    }

    /// `key`, with the account's number in the book when the caller knows it.
    static func key(_ c: Candidate, accountId: Int?, book: inout QueueBook, now: Int64) -> SortKey {
        guard book.policy.usesPriority else { return SortKey(priority: 0, submit: c.submit, id: c.id) }
        return SortKey(
            priority: priority(c, accountId: accountId, book: &book, now: now).total, submit: c.submit, id: c.id)
    }

    /// The reserved job's sort key at `now` (priorities change with time). Its parts are read from the plan
    /// before the book is changed: the job itself, passed along with the book, was copied out of the plan first.
    static func renewedHeadKey(_ plan: borrowing BackfillPlan, book: inout QueueBook, now: Int64) -> SortKey {
        let (id, submit, gpus, nice, hint) = (
            plan.headJob.id, plan.headJob.submit, plan.headJob.gpuCount, plan.headJob.nice, plan.headJob.accountHint
        )
        let partitionFactor = book.partitionFactor(plan.headJob.shared.request.partition)
        let a = book.accountId(plan.headJob.account, hint: hint)
        let p = priority(
            submit: submit, gpus: gpus, partitionFactor: partitionFactor, nice: nice, accountId: a, book: &book,
            now: now)
        return SortKey(priority: p.total, submit: submit, id: id)
    }

    /// The job's multifactor priority at `now` (whatever the policy: `schedctl show` prints it).
    public static func priority(_ c: Candidate, book: inout QueueBook, now: Int64) -> Priority {
        priority(c, accountId: nil, book: &book, now: now)
    }

    static func priority(_ c: Candidate, accountId: Int?, book: inout QueueBook, now: Int64) -> Priority {
        let a = accountId ?? book.accountId(c.account, hint: c.accountHint)
        return priority(
            submit: c.submit, gpus: c.gpuCount, partitionFactor: book.partitionFactor(c.shared.request.partition),
            nice: c.nice, accountId: a, book: &book, now: now)
    }

    /// The priority of a job of account number `accountId` (in `book`), from its parts: a pass over the wait
    /// queue asks it of a bucket's jobs without making a candidate of each. (The partition's factor is looked
    /// up by the caller, which reads the partition's name in place: passed along with the book to change, the
    /// name would be copied first.)
    static func priority(
        submit: Int64, gpus: Int, partitionFactor: Double, nice: Int, accountId: Int, book: inout QueueBook,
        now: Int64
    ) -> Priority {
        Priority.of(
            submit: submit, gpus: gpus, partitionFactor: partitionFactor, nice: nice,
            fairShareFactor: book.fairShareFactor(id: accountId), now: now, settings: book.settings,
            totalGPUs: book.totalGPUs)
    }

    /// Runs one pass over `queue` on `state` at `now`. `complete` says the queue holds every waiting job
    /// (false: only newcomers, offered against the standing reservation). A job that leaves the queue other
    /// than by starting (cancelled) must be withdrawn from the book (`QueueBook.withdraw`). Under `fifo`,
    /// `strict-fifo` and `backfill` the queue must come in submission order (as the controller and the
    /// simulator keep it); under `fairshare` the pass orders it by priority. Under `strict-fifo` every job behind
    /// the one that holds the line is reported waiting behind it (`Wait.behind`).
    ///
    /// Every placement is committed on `state` and recorded in `book` before `started` hears of it; `started`
    /// may return false to undo a start (the caller could not record it). `waiting` hears the jobs that stay
    /// with why; jobs skipped for want of free GPUs are not reported (their reason has not changed in kind),
    /// and once fewer GPUs are free than `minimumGPUs` (the fewest any queued job asks for, when the caller
    /// knows it) the pass stops: no later job could start.
    public static func run(
        on state: inout ClusterState, book: inout QueueBook, queue: consuming some Sequence<Candidate>, now: Int64,
        complete: Bool = true, minimumGPUs: Int? = nil, work: inout Counters,
        started: (Candidate, PlacementDecision) -> Bool,
        waiting: (Candidate, Wait) -> Void
    ) {
        book.advance(to: now)
        if let e = book.reservations.earliestEnd, e <= now { book.reservations.expire(before: now) }
        let floor = minimumGPUs ?? 0
        // The pass holds the only reference to the plan while it changes it: taken from the book, and handed
        // back the same way (a reference kept alive beside it would make every change copy the plan's storage).
        // The pass is made first and given the plan after: made with it, it would copy the plan once more.
        var pass = Pass(policy: book.policy, free: state.totalFreeGPUs, now: now)
        pass.takeStanding(from: &book, complete: complete)
        // A pass over every waiting job follows a change that may have freed resources (a job ended early, a
        // node came back): as EASY does, the reservation is worked out afresh when its job is met, so the job
        // never keeps a later start it could now beat, and no job behind it is admitted against such a start.
        // A pass over newcomers only keeps it: nothing was freed since it was made.
        if complete { pass.plan = nil }
        pass.dropPlanIfDue(state: &state, book: &book, work: &work)
        // Under fairshare a newcomer may come before the reserved job in line (and take the reservation), so a
        // pass over newcomers only stops for want of GPUs under fifo and backfill.
        let newcomersByPriority = !complete && book.policy.usesPriority
        func nothingCanStart(_ pass: borrowing Pass) -> Bool {
            pass.nothingCanStart(
                floor: floor, preemptibleRunning: book.preemptibleRunning, newcomersByPriority: newcomersByPriority)
        }
        // (The reserved job's place in line is renewed below, by a pass that offers jobs.)
        if nothingCanStart(pass) {
            pass.handBack(to: &book)
            return
        }
        // (Under fifo, strict-fifo and backfill a job's place in line never changes.)
        if pass.plan != nil && book.policy.usesPriority {
            pass.plan!.headKey = renewedHeadKey(pass.plan!, book: &book, now: now)
        }
        if book.policy.usesPriority {
            // One job (an arrival in the simulator) needs no list to sort.
            var jobs = queue.makeIterator()
            guard let first = jobs.next() else {
                pass.handBack(to: &book)
                return
            }
            guard let second = jobs.next() else {
                pass.offer(
                    first, key: key(first, book: &book, now: now), state: &state, book: &book, work: &work,
                    started: started, waiting: waiting)
                pass.handBack(to: &book)
                return
            }
            var items = [first, second].map { ($0, key($0, book: &book, now: now)) }
            while let c = jobs.next() { items.append((c, key(c, book: &book, now: now))) }
            items.sort { $0.1 < $1.1 }
            for (c, key) in items {
                if nothingCanStart(pass) { break }
                pass.offer(c, key: key, state: &state, book: &book, work: &work, started: started, waiting: waiting)
            }
        } else {
            for c in queue {
                if nothingCanStart(pass) { break }
                let key = SortKey(priority: 0, submit: c.submit, id: c.id)
                pass.offer(c, key: key, state: &state, book: &book, work: &work, started: started, waiting: waiting)
            }
        }
        pass.handBack(to: &book)
    }

    /// Where `c` would start now, as a pass would see it (behind the job that holds the line under
    /// strict-fifo, its account's limits, the reservations, then placement), or why it would wait; changes
    /// nothing (a dry run). `c` comes last in line.
    public static func trial(
        _ c: Candidate, on state: inout ClusterState, book: inout QueueBook, now: Int64
    ) -> Result<PlacementDecision, PlacementRefusal> {
        if let head = book.firstInLine, let reason = Wait.behind(head).reason(time: { String($0) }) {
            return .failure(PlacementRefusal(.notNow, reason))
        }
        let limit = max(c.timeLimit, 1)
        if let reason = book.limitReason(
            account: c.account, gpus: c.gpuCount, storage: c.request.storage ?? .zero, timeLimit: limit)
        {
            return .failure(PlacementRefusal(.notNow, reason))
        }
        return place(c, on: &state, reservations: book.reservations, from: now, until: now + limit)
    }

    /// Places `c` on `state` keeping it off the nodes that reservations hold over [from, until). The nodes are
    /// set aside for the decision only; `state` is as it was afterwards.
    static func place(
        _ c: Candidate, on state: inout ClusterState, reservations: ReservationBook, from: Int64, until: Int64,
        explain: Bool = true
    ) -> Result<PlacementDecision, PlacementRefusal> {
        guard !reservations.isEmpty else { return state.place(c.shared, explain: explain) }
        let excluded = reservations.excluded(account: c.account, from: from, until: until)
        guard !excluded.isEmpty else { return state.place(c.shared, explain: explain) }
        var toggled: [Int] = []
        for (n, _) in excluded where state.availability(node: n) == .up {
            state.setAvailability(node: n, .drain)
            toggled.append(n)
        }
        let result = state.place(c.shared, explain: explain)
        for n in toggled { state.setAvailability(node: n, .up) }
        guard case var .failure(refusal) = result else { return result }
        var byReservation: [Int: [String]] = [:]
        for (n, r) in excluded { byReservation[r, default: []].append(state.spec.nodes[n].name) }
        let notes = byReservation.keys.sorted().map { r in
            let res = reservations.reservations[r]
            return "\(byReservation[r]!.joined(separator: ", ")) reserved (\(res.name): \(res.reason))"
        }
        refusal.reason += "; its time limit would reach into a reservation: " + notes.joined(separator: "; ")
        return .failure(refusal)
    }
}
