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
        // Each live bucket's current job, merged by key.
        var heap = BinaryHeap<BucketHead>()
        for b in queue.buckets.indices where queue.buckets[b].live > 0 {
            guard let i = queue.next(in: b, from: queue.buckets[b].head) else { continue }
            heap.push(BucketHead(key: key(queue.candidate(b, i), book: &book, now: now), bucket: b, position: i))
        }
        var startedIds: [(Int64, Int)] = []
        while let head = heap.pop() {
            let (k, b, i) = (head.key, head.bucket, head.position)
            if stop() { break }
            let c = queue.candidate(b, i)
            let outcome = pass.offer(c, key: k, state: &state, book: &book, work: &work, started: started, waiting: waiting)
            switch outcome {
            case .skipped:
                continue
            case .refused, .blocked:
                if whole { continue }
            case .started:
                startedIds.append((c.id, b))
            case .held, .limit, .preempting:
                break
            }
            if let n = queue.next(in: b, from: i + 1) {
                heap.push(BucketHead(key: key(queue.candidate(b, n), book: &book, now: now), bucket: b, position: n))
            }
        }
        for (id, b) in startedIds {
            let k = queue.buckets[b].key
            queue.remove(id: id, request: k.request, account: k.account, nice: k.nice)
        }
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
