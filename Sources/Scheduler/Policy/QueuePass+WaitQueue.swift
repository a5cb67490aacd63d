extension QueuePass {
    /// A complete pass over the jobs of `queue`, with the same decisions as `run(on:book:queue:…)` over them in
    /// order, visiting bucket by bucket (`WaitQueue`): a bucket whose job was too big for the free GPUs or
    /// could not be placed is set aside for the rest of the pass (when no reservation is in force; a window
    /// keeps jobs off nodes by their own time limits, so then each job is offered). Started jobs leave the
    /// queue.
    public static func run(
        on state: inout ClusterState, book: inout QueueBook, queue: inout WaitQueue, now: Int64, work: inout Work,
        started: (Candidate, PlacementDecision) -> Bool, waiting: (Candidate, Wait) -> Void = { _, _ in }
    ) {
        book.advance(to: now)
        if book.reservations.reservations.contains(where: { $0.end <= now }) { book.reservations.expire(before: now) }
        // The pass holds the only reference to the plan while it changes it (no copy of its shadow cluster).
        let standing = book.plan
        book.plan = nil
        var pass = Pass(book: book, plan: standing, free: state.totalFreeGPUs, now: now)
        if let p = pass.plan, p.start <= now { pass.plan = nil }
        if pass.plan != nil { pass.plan!.headKey = key(pass.plan!.headJob, book: &book, now: now) }
        let floor = queue.minimumGPUs ?? 0
        func stop() -> Bool { pass.free < floor && (!pass.backfills || pass.plan != nil) && book.preemptibleRunning == 0 }
        if stop() || queue.isEmpty {
            book.plan = pass.plan
            return
        }
        let whole = book.reservations.isEmpty
        // A bucket whose job is too big for the free GPUs and could not be the reserved one (fifo, or behind
        // the reservation) would be skipped when its turn came: it is set aside without entering the heap.
        // The free GPUs only shrink during a pass; if the reservation changes, or a preemptible job starts,
        // the jobs set aside that are still to come in line are put back.
        var mayPreempt = book.preemptibleRunning > 0
        func tooBig(_ gpus: Int, _ key: SortKey) -> Bool {
            guard !mayPreempt, gpus > pass.free else { return false }
            guard pass.backfills else { return true }
            guard let p = pass.plan else { return false }
            return key > p.headKey
        }
        var aside: [BucketHead] = []
        // Each live bucket's current job, merged by key.
        var heap = BinaryHeap<BucketHead>(capacity: queue.buckets.count)
        let priorities = book.policy.usesPriority
        func push(_ b: Int, _ i: Int) {
            let k: SortKey
            if priorities {
                if !book.isAccountId(queue.buckets[b].accountId, of: queue.buckets[b].account) {
                    queue.buckets[b].accountId = book.accountId(queue.buckets[b].account)
                }
                k = key(queue.candidate(b, i), accountId: queue.buckets[b].accountId, book: &book, now: now)
            } else {
                let e = queue.buckets[b].entries[i]
                k = SortKey(priority: 0, submit: e.submit, id: e.id)
            }
            let head = BucketHead(key: k, bucket: b, position: i)
            if tooBig(queue.buckets[b].gpus, head.key) {
                work.skipped += 1
                aside.append(head)
            } else {
                heap.push(head)
            }
        }
        for b in queue.buckets.indices where queue.buckets[b].live > 0 {
            if let i = queue.next(in: b, from: queue.buckets[b].head) { push(b, i) }
        }
        var startedIds: [(Int64, Int)] = []
        var reserved = pass.plan?.head
        // Requests that could not be placed in this pass (when no reservation is in force, placement does not
        // depend on the account or the time limit): another account's bucket of the same request is not placed
        // again.
        var unplaceable: [ObjectIdentifier: PlacementRefusal] = [:]
        // Buckets whose last job fitted but would have delayed the reservation, with the count of starts then:
        // while nothing has started since, the bucket's next job gets the same allocation, which the
        // reservation still refuses; only a job ending by the reserved start could start.
        var delayed: [Int: (starts: Int, head: Int64, start: Int64)] = [:]
        while let head = heap.pop() {
            let (k, b, i) = (head.key, head.bucket, head.position)
            if stop() { break }
            let c = queue.candidate(b, i)
            if let d = delayed[b], d.starts == work.started, let p = pass.plan, p.head == d.head, p.start == d.start,
                now + max(c.timeLimit, 1) > p.start
            {
                work.delayed += 1
                if let n = queue.next(in: b, from: i + 1) { push(b, n) }
                continue
            }
            let request = ObjectIdentifier(c.shared)
            let known = whole ? unplaceable[request] : nil
            let outcome = pass.offer(
                c, key: k, state: &state, book: &book, work: &work, unplaceable: known, started: started,
                waiting: waiting)
            if pass.plan?.head != reserved || mayPreempt != (book.preemptibleRunning > 0) {
                reserved = pass.plan?.head
                mayPreempt = book.preemptibleRunning > 0
                // Those behind this job come back in line; those ahead of it were passed over as they would have been.
                for h in aside where h.key > k {
                    work.skipped -= 1
                    heap.push(h)
                }
                aside.removeAll()
            }
            switch outcome {
            case .skipped:
                continue
            case .refused, .blocked:
                if whole {
                    if known == nil, let r = pass.lastRefusal { unplaceable[request] = r }
                    continue
                }
            case .undone:
                if whole { continue }
            case .started:
                startedIds.append((c.id, b))
            case .delays:
                if let p = pass.plan { delayed[b] = (work.started, p.head, p.start) }
            case .held, .limit, .preempting:
                break
            }
            if let n = queue.next(in: b, from: i + 1) { push(b, n) }
        }
        for (id, b) in startedIds { queue.remove(id: id, bucket: b) }
        book.plan = pass.plan
    }

    /// A bucket's current job in a pass: its key, the bucket and the position.
    struct BucketHead: Comparable {
        var key: SortKey
        var bucket: Int
        var position: Int

        static func < (a: BucketHead, b: BucketHead) -> Bool { a.key < b.key }
        static func == (a: BucketHead, b: BucketHead) -> Bool { a.key == b.key }
    }
}
