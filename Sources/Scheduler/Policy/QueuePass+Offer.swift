extension QueuePass {
    /// One pass's running state: free GPUs, the backfill reservation as it evolves, and under strict-fifo the
    /// first job in line that did not start.
    struct Pass {
        let backfills: Bool
        let holdsLine: Bool
        var plan: BackfillPlan?
        var lineHead: LineHead?
        var free: Int
        let now: Int64
        /// The placement refusal of the last job offered, if it met one.
        var lastRefusal: PlacementRefusal?

        /// A pass with no reservation and no job holding the line yet (the caller gives it the book's, taken
        /// from the book, `takeStanding`).
        init(policy: QueuePolicyName, free: Int, now: Int64) {
            backfills = policy.backfills
            holdsLine = policy.holdsLine
            self.free = free
            self.now = now
        }

        /// Takes the book's standing reservation and, for a pass over newcomers only, the job that holds the line
        /// (a complete pass finds it afresh).
        mutating func takeStanding(from book: inout QueueBook, complete: Bool) {
            plan = book.plan.take()
            if holdsLine && !complete { lineHead = book.lineHead }
        }

        /// Gives the reservation and the job that holds the line back to the book, at the end of the pass.
        mutating func handBack(to book: inout QueueBook) {
            book.plan = plan.take()
            if holdsLine { book.lineHead = lineHead }
        }

        /// Whether nothing more can start: fewer GPUs are free than `floor` (the fewest a job still in line asks
        /// for), nothing preemptible runs, and under backfill the first job in line already holds the reservation
        /// (unless `newcomersByPriority`: newcomers ordered by priority may come before it and take it). Never
        /// under strict-fifo: the next job in line is offered, to become the one that holds the line.
        func nothingCanStart(floor: Int, preemptibleRunning: Int, newcomersByPriority: Bool = false) -> Bool {
            !holdsLine && free < floor && (!backfills || plan != nil && !newcomersByPriority)
                && preemptibleRunning == 0
        }

        /// What became of one offered job.
        enum Outcome {
            case started
            /// Too big for the free GPUs (and not to be reserved).
            case skipped
            /// Placement refused.
            case refused
            /// Placed, but its start was undone (the caller refused it).
            case undone
            /// It does not fit and holds (or tried for) the backfill reservation.
            case blocked
            /// It waits for a job that preempted others.
            case held
            /// It fits, but on an allocation that would delay the reservation.
            case delays
            /// An account limit.
            case limit
            /// Running jobs are to be preempted for it.
            case preempting
            /// Behind the job that holds the line (strict-fifo): not offered.
            case behind
        }

        /// Offers `c`. `unplaceable`: the refusal its request already met in this pass (the cluster only fills
        /// during a pass, so it would meet it again), given instead of placing it once more.
        @discardableResult
        mutating func offer(
            _ c: Candidate, key: SortKey, state: inout ClusterState, book: inout QueueBook, work: inout Counters,
            unplaceable: PlacementRefusal? = nil,
            started: (Candidate, PlacementDecision) -> Bool, waiting: (Candidate, Wait) -> Void
        ) -> Outcome {
            guard holdsLine else {
                return consider(
                    c, key: key, state: &state, book: &book, work: &work, unplaceable: unplaceable, started: started,
                    waiting: waiting)
            }
            return offerInLine(
                c, key: key, state: &state, book: &book, work: &work, unplaceable: unplaceable, started: started,
                waiting: waiting)
        }

        /// `offer` without the line: limits, preemption, placement, and under backfill the reservation.
        mutating func consider(
            _ c: Candidate, key: SortKey, state: inout ClusterState, book: inout QueueBook, work: inout Counters,
            unplaceable: PlacementRefusal?,
            started: (Candidate, PlacementDecision) -> Bool, waiting: (Candidate, Wait) -> Void
        ) -> Outcome {
            // (Cleared only when set: clearing releases the refusal's words, and most offers meet none.)
            if lastRefusal != nil { lastRefusal = nil }
            work.offered += 1
            let limit = max(c.timeLimit, 1)
            let gpus = c.gpuCount
            if gpus > free && plan != nil && plan!.head != c.id && key > plan!.headKey {
                // Behind the reservation and too big for what is free: nothing to learn.
                work.skipped += 1
                return .skipped
            }
            if book.anyLimits,
                let reason = book.limitReason(
                    account: c.account, gpus: gpus, storage: c.shared.request.storage ?? .zero, timeLimit: limit)
            {
                waiting(c, .limit(reason))
                return .limit
            }
            // (Both preemption questions are asked only while some job preempts or may be preempted: the calls
            // copy the candidate and the cluster.)
            if !book.preemptors.isEmpty, let preemptor = book.preemptorAhead(of: c) {
                // The resources being freed by preemption are for that job.
                waiting(c, .held(by: preemptor, at: now))
                return .held
            }
            // (The plan is read in place, here and below: binding it to a constant would retain its storage.)
            let behindHead = plan != nil && c.id != plan!.head && key > plan!.headKey
            // The refusal it meets is kept in `lastRefusal` (cleared above) and read there: a local copy of it
            // would retain and release its references on every refused offer.
            if gpus > free {
                work.skipped += 1
                if book.preemptibleRunning > 0, let victims = book.victims(for: c, state: state, now: now, work: &work)
                {
                    work.preemptions += 1
                    waiting(c, .preempting(victims))
                    return .preempting
                }
                guard backfills else { return .skipped }
                if plan != nil {
                    if plan!.head == c.id {
                        if !plan!.isDeferred { waiting(c, .reserved(at: plan!.start, nil)) }
                        return .blocked
                    }
                    if key > plan!.headKey { return .skipped }
                }
                // A blocked job ahead of any reservation: it becomes the reserved one below.
            } else if let unplaceable {
                lastRefusal = unplaceable
            } else {
                work.placements += 1
                // (A decision is taken from the result as it is, not kept in an optional, which would copy and
                // destroy it on every placement.)
                switch QueuePass.place(
                    c, on: &state, reservations: book.reservations, from: now, until: now + limit,
                    explain: book.explains)
                {
                case let .success(decision):
                    return start(
                        c, on: decision, until: now + limit, behindHead: behindHead, state: &state, book: &book,
                        work: &work, started: started, waiting: waiting)
                case let .failure(r): lastRefusal = consume r
                }
            }
            // Lower-tier preemptible jobs may make room for it.
            if book.preemptibleRunning > 0, let victims = book.victims(for: c, state: state, now: now, work: &work) {
                work.preemptions += 1
                waiting(c, .preempting(victims))
                return .preempting
            }
            // The first job in line that does not fit gets the reservation.
            if backfills, plan == nil || key < plan!.headKey {
                work.plans += 1
                if book.defersPlans && Self.searchWouldFind(c, state: state, book: book) {
                    book.endedSincePlan.clearKeepingCapacity()
                    plan = BackfillPlan.deferred(for: c, key: key, book: book, now: now)
                } else {
                    // The search's storage is the book's, kept from plan to plan.
                    var ends: [BackfillPlan.End] = []
                    swap(&ends, &book.planEnds)
                    plan = BackfillPlan.make(
                        for: c, key: key, state: &state, book: book, now: now, work: &work, ends: &ends)
                    swap(&ends, &book.planEnds)
                }
            }
            if plan != nil, plan!.head == c.id {
                if !plan!.isDeferred { waiting(c, .reserved(at: plan!.start, lastRefusal)) }
                return .blocked
            }
            if lastRefusal != nil { waiting(c, .noRoom(lastRefusal)) }
            return lastRefusal == nil ? .skipped : .refused
        }

        /// Whether a plan's search, put off now for `head` (which does not fit), would find a start: `head` fits
        /// the cluster once every running job has ended (its request was placed on the idle cluster, every node
        /// is up, no reservation is booked, and every running job is held on the cluster), and some job runs.
        static func searchWouldFind(_ head: Candidate, state: borrowing ClusterState, book: borrowing QueueBook)
            -> Bool
        {
            head.shared.fitsIdle && head.shared.resolvedOn === state.specIndex && state.unavailable.isEmpty
                && book.reservations.isEmpty && book.runningHeldOnCluster && !book.running.isEmpty
        }

        /// Works the plan out if it is deferred, for a read of its start or an admission; true (for use in a
        /// condition).
        @discardableResult
        mutating func workOutPlan(state: inout ClusterState, book: inout QueueBook, work: inout Counters) -> Bool {
            guard plan != nil, plan!.isDeferred else { return true }
            var ends: [BackfillPlan.End] = []
            swap(&ends, &book.planEnds)
            plan!.workOut(state: &state, book: book, work: &work, ends: &ends)
            swap(&ends, &book.planEnds)
            return true
        }

        /// Drops the plan if its start has come by `now` (a deferred plan is worked out first only if its start
        /// could have: the earliest end of a time limit it knows has come).
        mutating func dropPlanIfDue(state: inout ClusterState, book: inout QueueBook, work: inout Counters) {
            guard plan != nil, plan!.notBefore <= now else { return }
            workOutPlan(state: &state, book: &book, work: &work)
            if plan!.start <= now { plan = nil }
        }

        /// Starts `c` on `decision` (placed on `state` a moment ago) until `end`, if the reservation allows.
        private mutating func start(
            _ c: Candidate, on decision: consuming PlacementDecision, until end: Int64, behindHead: Bool,
            state: inout ClusterState, book: inout QueueBook, work: inout Counters,
            started: (Candidate, PlacementDecision) -> Bool, waiting: (Candidate, Wait) -> Void
        ) -> Outcome {
            var admitted = false
            // The plan is changed in place (its storage is not copied).
            if plan != nil {
                if plan!.head == c.id {
                    plan = nil
                } else if workOutPlan(state: &state, book: &book, work: &work),
                    plan!.admit(decision.allocation, until: end, state: state, running: book.running)
                {
                    admitted = true
                } else if behindHead {
                    waiting(c, .held(by: plan!.head, at: plan!.start))
                    return .delays
                } else {
                    // A job ahead of the reserved one takes what it needed: reserve again when it is met.
                    plan = nil
                }
            }
            // Placed on this state a moment ago (the plan's check above only reads it): it is taken unchecked.
            state.commitKnownToFit(decision.allocation)
            if started(c, decision) {
                free -= decision.allocation.gpuCount
                work.started += 1
                if behindHead { work.backfilled += 1 }
                // (The allocation is moved into the book: a copy would retain its references, and the decision's
                // end release them.)
                book.started(
                    id: c.id, account: c.account, accountHint: c.accountHint, allocation: (consume decision).allocation,
                    end: end, at: now, partition: c.shared.request.partition)
                return .started
            }
            try? state.release(decision.allocation)
            if admitted { plan?.unadmit(decision.allocation, until: end) }
            return .undone
        }
    }
}
