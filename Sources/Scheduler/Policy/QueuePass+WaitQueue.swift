extension QueuePass {
    /// A complete pass over the jobs of `queue`, with the same decisions as `run(on:book:queue:…)` over them in
    /// order, visiting bucket by bucket (`WaitQueue`): a bucket whose job was too big for the free GPUs or
    /// could not be placed is set aside for the rest of the pass (when no reservation is in force; a window
    /// keeps jobs off nodes by their own time limits, so then each job is offered). Started jobs leave the
    /// queue. Under strict-fifo the pass ends at the first job that does not start (it holds the line): the jobs
    /// behind it are neither offered nor reported to `waiting`.
    public static func run(
        on state: inout ClusterState, book: inout QueueBook, queue: inout WaitQueue, now: Int64, work: inout Counters,
        started: (Candidate, PlacementDecision) -> Bool, waiting: (Candidate, Wait) -> Void = { _, _ in }
    ) {
        book.advance(to: now)
        if let e = book.reservations.earliestEnd, e <= now { book.reservations.expire(before: now) }
        // A complete pass: the reservation is worked out afresh when its job is met (EASY), as in
        // `run(on:book:queue:…)` over every waiting job. The pass holds the only reference to the plan it
        // makes, and hands it to the book at the end (a reference kept alive beside it would make every change
        // copy the plan's storage).
        var pass = Pass(policy: book.policy, free: state.totalFreeGPUs, now: now)
        _ = book.plan.take()
        let floor = queue.minimumGPUs ?? 0
        // (The local functions below take the pass as an argument rather than capture it: a captured pass would
        // be copied into a heap box of its own on every pass.)
        func stop(_ pass: borrowing Pass) -> Bool {
            pass.nothingCanStart(floor: floor, preemptibleRunning: book.preemptibleRunning)
        }
        if stop(pass) || queue.isEmpty {
            pass.handBack(to: &book)
            return
        }
        let whole = book.reservations.isEmpty
        // A bucket whose job is too big for the free GPUs and could not be the reserved one (fifo, or behind
        // the reservation) would be skipped when its turn came: it is set aside without entering the heap
        // (not under strict-fifo: it would hold the line when its turn came).
        // The free GPUs only shrink during a pass; if the reservation changes, or a preemptible job starts,
        // the jobs set aside that are still to come in line are put back.
        var mayPreempt = book.preemptibleRunning > 0
        /// Whether to set aside a bucket's job of `gpus` GPUs; nil when its key decides (whether it is behind
        /// the reservation). A job set aside without its key (fifo) keeps `SortKey.unknown`, worked out if it
        /// comes back in line.
        func tooBig(_ gpus: Int, _ pass: borrowing Pass) -> Bool? {
            guard !mayPreempt, !pass.holdsLine, gpus > pass.free else { return false }
            guard pass.backfills else { return true }
            return pass.plan == nil ? false : nil
        }
        var aside: [BucketHead] = []
        swap(&aside, &queue.spareAside)
        aside.clearKeepingCapacity()
        // Each live bucket's current job, merged by key.
        var heap = MinHeap<BucketHead>()
        swap(&heap, &queue.spareHeap)
        heap.removeAll()
        let priorities = book.policy.usesPriority
        func keyOf(_ b: Int, _ i: Int) -> SortKey {
            guard priorities else {
                let e = queue.buckets[b].entries[i]
                return SortKey(priority: 0, submit: e.submit, id: e.id)
            }
            if !book.isAccountId(queue.buckets[b].accountId, of: queue.buckets[b].account) {
                queue.buckets[b].accountId = book.accountId(queue.buckets[b].account)
            }
            let e = queue.buckets[b].entries[i]
            let partitionFactor = book.partitionFactor(queue.buckets[b].shared.request.partition)
            let p = priority(
                submit: e.submit, gpus: queue.buckets[b].gpus, partitionFactor: partitionFactor,
                nice: queue.buckets[b].nice, accountId: queue.buckets[b].accountId, book: &book, now: now)
            return SortKey(priority: p.total, submit: e.submit, id: e.id)
        }
        // Buckets that came back in line after a jump (below): the position of their one valid head in the
        // heap (an entry at another position is stale; −1: none).
        var current = [Int: Int]()
        // While the buckets' first heads are gathered, they are ordered at once afterwards.
        var building = true
        func push(_ b: Int, _ i: Int, _ pass: borrowing Pass) {
            if !current.isEmpty, current[b] != nil { current[b] = i }
            var key: SortKey?
            var setAside = tooBig(queue.buckets[b].gpus, pass)
            if setAside == nil {
                key = keyOf(b, i)
                setAside = key! > pass.plan!.headKey
            }
            if setAside! {
                work.skipped += 1
                aside.append(BucketHead(key: key ?? .unknown, bucket: b, position: i))
                return
            }
            let head = BucketHead(key: key ?? keyOf(b, i), bucket: b, position: i)
            if building {
                heap.appendUnordered(head)
            } else {
                heap.push(head)
            }
        }
        // (A bucket with jobs waiting has its first at `head`: its entries' storage is not read to find out.)
        for b in queue.liveBuckets { push(b, queue.buckets[b].head, pass) }
        building = false
        heap.order(scanningUpTo: 16)
        var startedIds: [(id: Int64, submit: Int64, bucket: Int)] = []
        swap(&startedIds, &queue.spareStarted)
        startedIds.clearKeepingCapacity()
        var reserved = pass.plan?.head
        // Requests that could not be placed in this pass, by number (when no reservation is in force, placement
        // does not depend on the account or the time limit): another account's bucket of the same request is
        // not placed again. The list is the queue's, kept from pass to pass and cleared where it was set.
        var unplaceable: [PlacementRefusal?] = []
        swap(&unplaceable, &queue.spareRefused)
        if unplaceable.count < queue.requestCount {
            unplaceable += repeatElement(nil, count: queue.requestCount - unplaceable.count)
        }
        var refusedNumbers: [Int] = []
        swap(&refusedNumbers, &queue.spareRefusedNumbers)
        // Buckets whose last job fitted but would have delayed the reservation: while nothing starts and the
        // reservation stands, each next job of the bucket gets the same allocation, which the reservation
        // still refuses, so only a job ending by the reserved start could start. The pass jumps to that job,
        // and the jobs jumped over are passed over (`Counters.delayed`); if something starts, or the reservation
        // changes, before their turn has come, they come back in line.
        var jumps = [Int: Jump]()
        while let head = heap.pop() {
            let (k, b, i) = (head.key, head.bucket, head.position)
            if !current.isEmpty, let e = current[b] {
                if e != i { continue }  // stale: the bucket came back in line at an earlier job
                current[b] = -1
            }
            if stop(pass) { break }
            if !jumps.isEmpty { jumps[b] = nil }
            let c = queue.candidate(b, i)
            let request = queue.buckets[b].request
            // (Copied only when there is one: a copy counts a reference to its words, and most offers find none.)
            let known = whole && unplaceable[request] != nil ? unplaceable[request] : nil
            let outcome = pass.offer(
                c, key: k, state: &state, book: &book, work: &work, unplaceable: known, started: started,
                waiting: waiting)
            // Under strict-fifo a job that did not start holds the line: nothing behind it may start.
            if pass.lineHead != nil { break }
            if pass.plan?.head != reserved || mayPreempt != (book.preemptibleRunning > 0) {
                reserved = pass.plan?.head
                mayPreempt = book.preemptibleRunning > 0
                // Those behind this job come back in line; those ahead of it were passed over as they would have been.
                for h in aside {
                    let key = h.key.isUnknown ? keyOf(h.bucket, h.position) : h.key
                    guard key > k else { continue }
                    work.skipped -= 1
                    heap.push(BucketHead(key: key, bucket: h.bucket, position: h.position))
                }
                aside.clearKeepingCapacity()
            }
            if !jumps.isEmpty {
                // (A plan made since the jump is worked out to compare its start: rare.)
                pass.workOutPlan(state: &state, book: &book, work: &work)
                for (jb, jump) in jumps
                where jump.starts != work.started || pass.plan?.head != jump.head || pass.plan?.start != jump.start {
                    jumps[jb] = nil
                    // The jobs jumped over that come after this one in line are offered after all.
                    var lo = jump.from, hi = jump.to
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        if keyOf(jb, mid) > k { hi = mid } else { lo = mid + 1 }
                    }
                    if lo < jump.to {
                        work.delayed -= jump.to - lo
                        current[jb] = lo
                        push(jb, lo, pass)
                    }
                }
            }
            switch outcome {
            case .skipped:
                continue
            case .refused, .blocked:
                if whole {
                    if known == nil, let r = pass.lastRefusal {
                        unplaceable[request] = r
                        refusedNumbers.append(request)
                    }
                    continue
                }
                // With a window in force a job is also kept off the nodes a window holds during its time limit,
                // so a longer limit keeps it off as many nodes or more: the bucket's jobs with a limit as long
                // or longer are refused too (the cluster only fills during a pass). The pass goes on at the
                // next one with a shorter limit.
                let n = queue.firstEnding(in: b, from: i + 1, within: max(c.timeLimit, 1) - 1)
                work.refusedAlike += n - (i + 1)
                if let n = queue.next(in: b, from: n) { push(b, n, pass) }
                continue
            case .undone:
                if whole { continue }
            case .started:
                startedIds.append((c.id, c.submit, b))
            case .delays:
                // The bucket's next jobs get the same allocation while nothing starts, and delay the reservation
                // alike, until one whose limit could let it start: without windows, the first that ends by the
                // reserved start. With a window in force a job's limit also decides which nodes it may use (a
                // node the window holds later), so only the jobs with this job's very limit are sure to fare as
                // it did: the pass jumps to the first with another.
                if pass.plan != nil {
                    let (head, start) = (pass.plan!.head, pass.plan!.start)
                    let n =
                        whole
                        ? queue.firstEnding(in: b, from: i + 1, within: start - now)
                        : queue.firstWithOtherLimit(in: b, from: i + 1, than: c.timeLimit)
                    if n > i + 1 {
                        work.delayed += n - (i + 1)
                        jumps[b] = Jump(from: i + 1, to: n, starts: work.started, head: head, start: start)
                    }
                    if let n = queue.next(in: b, from: n) { push(b, n, pass) }
                    continue
                }
            case .held, .limit, .preempting, .behind:
                break
            }
            if let n = queue.next(in: b, from: i + 1) { push(b, n, pass) }
        }
        for (id, submit, b) in startedIds { queue.remove(id: id, submit: submit, bucket: b) }
        pass.handBack(to: &book)
        // The lists' storage is kept for the next pass (given back here, not in `defer`: a variable a local
        // function captures and `defer` swaps is checked for exclusive access at run time).
        swap(&aside, &queue.spareAside)
        swap(&heap, &queue.spareHeap)
        swap(&startedIds, &queue.spareStarted)
        for r in refusedNumbers { unplaceable[r] = nil }
        refusedNumbers.clearKeepingCapacity()
        swap(&unplaceable, &queue.spareRefused)
        swap(&refusedNumbers, &queue.spareRefusedNumbers)
    }

    /// Jobs of a bucket passed over at once: positions `from..<to`, while the count of starts and the
    /// reservation (its job and start) stay as they were.
    struct Jump {
        var from: Int
        var to: Int
        var starts: Int
        var head: Int64
        var start: Int64
    }

    /// A bucket's current job in a pass: its key, the bucket and the position.
    struct BucketHead: Comparable, Sendable {
        var key: SortKey
        var bucket: Int
        var position: Int

        static func < (a: BucketHead, b: BucketHead) -> Bool { a.key < b.key }
        static func == (a: BucketHead, b: BucketHead) -> Bool { a.key == b.key }
    }
}
