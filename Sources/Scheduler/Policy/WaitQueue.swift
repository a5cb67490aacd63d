/// Waiting jobs indexed for `QueuePass`: jobs with the same request (but for its time limit, which each
/// job keeps in its entry), account and nice value share a bucket, kept in submission order. Within a bucket,
/// submission order is also priority order (same size, partition, account and nice; older jobs have waited
/// longer), so a pass visits the buckets' heads merged
/// by their keys and meets every job in exactly the order of the whole queue sorted, while it can set a
/// whole bucket aside at once: once one of its jobs is too big for the free GPUs, or cannot be placed,
/// neither can the rest in that pass (the cluster only fills up during a pass).
///
/// The simulator keeps its queue here, so a pass over a deep queue costs the buckets and the jobs that
/// start, not the queue's length.
public struct WaitQueue: Sendable {
    struct Key: Hashable, Sendable {
        var request: ResourceRequest
        var account: String
        var nice: Int

        /// A job's bucket key: its request without the time limit (each job keeps its own in its entry).
        init(job request: ResourceRequest, account: String, nice: Int) {
            self.request = request
            self.request.time = nil
            self.account = account
            self.nice = nice
        }

        /// Hashes the fields that tell requests apart in practice (the simulator hashes a key per job of a
        /// trace, `ArrivalClasses`; a request has fifteen fields); equality still compares them all.
        func hash(into h: inout Hasher) {
            h.combine(request.gpus ?? -1)
            h.combine(request.cpus ?? -1)
            h.combine(request.memory?.bytes ?? .max)
            h.combine(request.gpuMemory?.bytes ?? .max)
            h.combine(request.nodes ?? -1)
            h.combine(account)
            h.combine(nice)
        }
    }

    struct Entry: Sendable {
        var id: Int64
        var submit: Int64
        var timeLimit: Int64
    }

    /// A bucket holds its request by reference (a pass reads buckets often; a request is some 200 bytes).
    struct Bucket: Sendable {
        /// The request, shared by the bucket's candidates, and its number among the queue's distinct requests.
        var shared: QueuePass.SharedRequest
        let request: Int
        /// The same as `shared.account`, kept beside it: an arrival's bucket check and a pass's priorities read
        /// it, and here they read it without following the reference.
        let account: String
        var nice: Int
        var gpus: Int
        /// In (submit, id) order from `head` on; entries before `head` have left.
        private(set) var entries: [Entry] = []
        private(set) var head = 0
        /// The account's number in the queue book of the last pass (checked before use; −1: none yet).
        var accountId = -1
        /// Jobs waiting in it (`entries.count - head`, kept here: a pass asks it of every bucket, and the
        /// entries' count would be read from each bucket's array storage).
        private(set) var live = 0
        /// Its place in `WaitQueue.liveBuckets` (−1: not there, no job waits).
        fileprivate(set) var listed = -1

        /// Adds a job in its place by (submit, id), dropping the entries that have left once they are many.
        mutating func insert(_ entry: Entry) {
            if head > 64 && head > entries.count / 2 {
                entries.removeFirst(head)
                head = 0
            }
            if let last = entries.last, (last.submit, last.id) > (entry.submit, entry.id) {
                entries.insert(entry, at: place(submit: entry.submit, id: entry.id))
            } else {
                entries.append(entry)
            }
            live += 1
        }

        /// Removes the entry at position `i` (from `head` on).
        mutating func remove(at i: Int) {
            if i == head {
                head += 1
            } else {
                entries.remove(at: i)
            }
            live -= 1
        }

        /// The first position from `head` whose entry is not before (submit, id) in order.
        func place(submit: Int64, id: Int64) -> Int {
            var lo = head, hi = entries.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if (entries[mid].submit, entries[mid].id) < (submit, id) { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
    }

    var buckets: [Bucket] = []
    /// The buckets with jobs waiting, in no order (each knows its place, `Bucket.listed`): a pass visits these,
    /// not every bucket that ever held a job.
    private(set) var liveBuckets: [Int] = []
    /// The merge heap of the last pass, kept for its storage (a pass per event would allocate one each time).
    var spareHeap = MinHeap<QueuePass.BucketHead>()
    /// Likewise the pass's lists of buckets set aside and of jobs started.
    var spareAside: [QueuePass.BucketHead] = []
    var spareStarted: [(id: Int64, submit: Int64, bucket: Int)] = []
    var bucketOf: [Key: Int] = [:]
    /// One shared request per distinct request, numbered: buckets of different accounts with the same request
    /// share it, so a pass knows them for the same request (`QueuePass` remembers what could not be placed,
    /// by number).
    private var sharedOf: [ResourceRequest: (shared: QueuePass.SharedRequest, number: Int)] = [:]
    /// How many distinct requests have had a bucket (each has its number below this).
    var requestCount: Int { sharedOf.count }
    /// A pass's refusals by request number (nil: none in this pass), and the numbers it set, kept for their
    /// storage.
    var spareRefused: [PlacementRefusal?] = []
    var spareRefusedNumbers: [Int] = []
    public private(set) var count = 0
    /// Waiting jobs per GPU count (0 for requests without a count), and the fewest any asks for (.max: none).
    private var sizes: [Int] = []
    private var fewest = Int.max

    public init() {}

    public var isEmpty: Bool { count == 0 }

    /// The fewest GPUs a waiting job asks for (0 when one asks for none or gives no count).
    public var minimumGPUs: Int? { fewest == .max ? nil : fewest }

    /// Adds a waiting job (in its place by submission time; a requeued job goes back where it was) and
    /// returns its bucket (the caller may keep it for `add(_:bucket:)` and `remove(id:bucket:)`).
    @discardableResult
    public mutating func add(_ c: QueuePass.Candidate) -> Int {
        let b = bucket(for: c)
        add(c, bucket: b)
        return b
    }

    /// The bucket of jobs like `c` (same request, account and nice value), made now if there is none.
    mutating func bucket(for c: QueuePass.Candidate) -> Int {
        bucket(request: c.request, account: c.account, nice: c.nice, shared: c.shared)
    }

    /// The bucket of jobs with this request, account and nice value, made now if there is none. The request's
    /// time limit is left out (each job's is in its entry), so jobs differing only in their time limits share
    /// a bucket. A new bucket's request is resolved on `cluster`, if given (its placements then skip that step).
    mutating func bucket(
        request full: ResourceRequest, account: String, nice: Int, shared: QueuePass.SharedRequest? = nil,
        resolvingOn cluster: ClusterState? = nil
    ) -> Int {
        let key = Key(job: full, account: account, nice: nice)
        let request = key.request
        if let existing = bucketOf[key] { return existing }
        let b = buckets.count
        let known = sharedOf[request]
        let s =
            known?.shared ?? (full.time == nil ? shared : nil)
            ?? QueuePass.SharedRequest(request, account: account, resolvedOn: cluster)
        let number = known?.number ?? requestCount
        if known == nil { sharedOf[request] = (s, number) }
        // The bucket's own for its account (the request's resolution is shared with other accounts' buckets).
        let own = s.account == account ? s : QueuePass.SharedRequest(s, account: account)
        buckets.append(Bucket(shared: own, request: number, account: account, nice: nice, gpus: s.gpuCount))
        bucketOf[key] = b
        return b
    }

    /// Adds a waiting job to bucket `b`, which `add(_:)` returned for a job of the same request, account and
    /// nice value.
    mutating func add(_ c: QueuePass.Candidate, bucket b: Int) {
        add(Entry(id: c.id, submit: c.submit, timeLimit: c.timeLimit), bucket: b)
    }

    /// Adds a waiting job, given by its entry, to bucket `b` (the simulator's jobs: no candidate is made).
    mutating func add(_ entry: Entry, bucket b: Int) {
        buckets[b].insert(entry)
        if buckets[b].listed < 0 {
            buckets[b].listed = liveBuckets.count
            liveBuckets.append(b)
        }
        count += 1
        let g = buckets[b].gpus
        if g >= sizes.count { sizes += Array(repeating: 0, count: g + 1 - sizes.count) }
        sizes[g] += 1
        fewest = min(fewest, g)
    }

    /// Removes a waiting job (started or cancelled); unknown ids are ignored.
    public mutating func remove(id: Int64, request: ResourceRequest, account: String, nice: Int = 0) {
        guard let b = bucketOf[Key(job: request, account: account, nice: nice)] else { return }
        remove(id: id, bucket: b)
    }

    /// Removes a waiting job of bucket `b`; unknown ids are ignored.
    mutating func remove(id: Int64, bucket b: Int) {
        guard let i = buckets[b].entries[buckets[b].head...].firstIndex(where: { $0.id == id }) else { return }
        remove(at: i, bucket: b)
    }

    /// Removes the waiting job `id`, submitted at `submit`, of bucket `b` (found by its place in order, not by
    /// a walk); unknown ids are ignored.
    mutating func remove(id: Int64, submit: Int64, bucket b: Int) {
        let i = buckets[b].place(submit: submit, id: id)
        guard i < buckets[b].entries.count, buckets[b].entries[i].id == id else { return }
        remove(at: i, bucket: b)
    }

    private mutating func remove(at i: Int, bucket b: Int) {
        buckets[b].remove(at: i)
        if buckets[b].live == 0 {
            let at = buckets[b].listed
            buckets[b].listed = -1
            let last = liveBuckets.removeLast()
            if last != b {
                liveBuckets[at] = last
                buckets[last].listed = at
            }
        }
        count -= 1
        let g = buckets[b].gpus
        sizes[g] -= 1
        if g == fewest && sizes[g] == 0 { fewest = (g + 1..<sizes.count).first { sizes[$0] > 0 } ?? .max }
    }

    /// The first position from `i` on in bucket `b` whose job's time limit (at least a second) is at most
    /// `seconds`, or the bucket's end.
    func firstEnding(in b: Int, from i: Int, within seconds: Int64) -> Int {
        buckets[b].entries.withUnsafeBufferPointer { entries in
            guard seconds >= 1 else { return entries.count }
            var k = i
            while k < entries.count && entries[k].timeLimit > seconds { k += 1 }
            return k
        }
    }

    /// The first position from `i` on in bucket `b` whose job's time limit is not `limit`, or the bucket's end.
    func firstWithOtherLimit(in b: Int, from i: Int, than limit: Int64) -> Int {
        buckets[b].entries.withUnsafeBufferPointer { entries in
            var k = i
            while k < entries.count && entries[k].timeLimit == limit { k += 1 }
            return k
        }
    }

    /// Every waiting job in submission order (ties by id).
    public func inSubmissionOrder() -> [QueuePass.Candidate] {
        var out: [QueuePass.Candidate] = []
        out.reserveCapacity(count)
        for b in buckets.indices {
            for i in buckets[b].head..<buckets[b].entries.count { out.append(candidate(b, i)) }
        }
        out.sort { ($0.submit, $0.id) < ($1.submit, $1.id) }
        return out
    }

    /// Position `i` of bucket `b` if a job waits there.
    func next(in b: Int, from i: Int) -> Int? { i < buckets[b].entries.count ? i : nil }

    func candidate(_ b: Int, _ i: Int) -> QueuePass.Candidate {
        let e = buckets[b].entries[i]
        return candidate(bucket: b, id: e.id, submit: e.submit, timeLimit: e.timeLimit)
    }

    /// A job of bucket `b`, whether or not it waits.
    func candidate(bucket b: Int, id: Int64, submit: Int64, timeLimit: Int64) -> QueuePass.Candidate {
        var c = QueuePass.Candidate(
            id: id, shared: buckets[b].shared, submit: submit, timeLimit: timeLimit, nice: buckets[b].nice)
        c.accountHint = buckets[b].accountId
        return c
    }
}
