extension Simulator {
    /// One run's mutable state: the cluster, the queue book, the pending jobs and the event sources
    /// (arrivals in submission order, ends in a heap, failures, repairs and window edges).
    ///
    /// Its clock is milliseconds from the start of the trace, and events are taken in their time order (at one
    /// millisecond: ends, then failures, repairs and window edges, then arrivals). The engine plans in whole
    /// seconds, as it does in the controller, which hands it the wall clock's second: each pass and each end
    /// is told the second its millisecond falls in (`seconds(_:)`).
    struct EventLoop {
        let jobs: [SimulatedJob]
        /// The relative speed of each node's GPUs (`GPUSpeed`, by node index): a start reads it here instead of
        /// looking its model's name up among the models' names.
        let nodeSpeed: [Double]
        let capacity: Int
        /// Whether the jobs come in submission order (as traces do, as a rule); if not, their indices in that
        /// order (empty otherwise: a million-job replay keeps no 8 MB list that says i is i).
        let inOrder: Bool
        let order: [Int]
        var state: ClusterState
        let idle: ClusterState
        var book: QueueBook
        /// Why jobs can never run here, by job index (few).
        var neverFitsReasons: [Int: String] = [:]
        var run: Run

        /// Ends of running jobs (times only: the book holds their allocations), keyed by job index << 16 | run
        /// generation, so an end of a run lost to a failure is recognised and dropped. Ends at one moment are all
        /// taken before anything is decided, so their order among themselves does not matter. An end here is
        /// when the job gives its GPUs back: its run's end plus the hold overhead.
        var ends = EndQueue()
        /// What the loop keeps of each job, in one place (an end reads it all: one cache line, not four).
        var records: [JobRecord]
        /// Waiting jobs, indexed for the pass; a job's `queued` says whether it waits.
        var waiting = WaitQueue()
        /// Full passes visit `waiting` bucket by bucket (false: every job in order, the reference for tests).
        let indexed: Bool
        var next = 0
        var busy = 0
        var offlineGPUs = 0
        var lastT: Int64
        let firstT: Int64
        /// How long a job holds its GPUs past its run, in milliseconds, unless the trace gives its own
        /// (`Options.holdOverheadMillis`, `SimulatedJob.holdMillis`; `hold(_:)`).
        let holdOverhead: Int64
        /// The longest hold of any job (the invariants' allowance).
        let longestHold: Int64
        /// Each job's last placement, by job index, when the run keeps them (`Options.recordsPlacements`).
        let recordsPlacements: Bool
        var placements: [Allocation?] = []
        var blocked = false
        /// Busy GPUs and queued jobs at every `timelineStride`-th moment (the stride doubles, and every other
        /// point kept goes, whenever 4,096 are kept: a million-job replay keeps a few thousand, not millions),
        /// and the last moment.
        var timeline: [TimelinePoint] = []
        var timelineStride = 1
        var timelineSkipped = 0
        var lastPoint: TimelinePoint?
        /// The storage of a pass's list of started jobs, kept for the next.
        var spareStarted: [Started] = []
        /// The arrivals as offered to a pass.
        var offered: [QueuePass.Candidate] = []
        /// Each job's class (jobs of one class wait in one bucket), and each class's bucket in `waiting` (−1:
        /// none yet; buckets are made, and numbered, as their first jobs arrive).
        let classes: ArrivalClasses
        var classBucket: [Int32] = []
        /// Per bucket of `waiting`: whether its request can never be placed here (nil: not known yet).
        var neverFitsMemo: [String??] = []
        /// Checking invariants: each reserved job's first reserved start, and windows found holding jobs.
        let checking: Bool
        var firstReserved: [Int: Int64] = [:]
        /// Checking invariants: whether any run started off a whole second.
        var startedWithinASecond = false
        var overrunWindows: [String] = []

        /// Failures in time order, repairs pending (few), window edges in time order; times in milliseconds.
        let failures: [(node: Int, at: Int64, repair: Int64)]
        var nextFailure = 0
        var repairs: [(at: Int64, node: Int)] = []
        var downUntil: [Int64]
        /// (time, node, +1 at a window's start / −1 at its end), in time order.
        let windowEdges: [(at: Int64, node: Int, delta: Int)]
        /// Whether any failure or window edge is to come at all (repairs follow failures): most replays have
        /// none, and the loop then looks for none at each moment.
        let hasClusterEvents: Bool
        var nextEdge = 0
        var offline: [Int]

        init(spec: ClusterSpec, jobs: [SimulatedJob], classes: ArrivalClasses, options: Options) throws(ConfigError) {
            self.jobs = jobs
            self.classes = classes
            checking = options.checkInvariants
            indexed = options.indexedQueue
            holdOverhead = max(options.holdOverheadMillis, 0)
            recordsPlacements = options.recordsPlacements
            var state = ClusterState(spec: spec)
            if let p = options.placement { state.policy = p }
            self.state = state
            idle = state
            let speeds = options.speed ?? GPUSpeed(spec: spec)
            let layoutSpeed = state.layouts.map { speeds.speed(of: $0.gpuModel) }
            nodeSpeed = state.nodes.map { layoutSpeed[$0.layout] }
            capacity = state.totalFreeGPUs
            // Traces come in submission order, as a rule: then there is nothing to sort. The same walk sums the
            // time limits, reading the two fields in place (a walk that bound each job to a constant would copy
            // it, counting its request's and account's references, once per job).
            var inOrder = true
            var limits: Int64 = 0
            var holds: Int64 = 0
            var longestHold = holdOverhead
            for k in jobs.indices {
                if k > 0 && jobs[k - 1].submitMillis > jobs[k].submitMillis { inOrder = false }
                limits += max(jobs[k].timeLimit, 1)
                let hold = max(jobs[k].holdMillis ?? holdOverhead, 0)
                holds += hold
                longestHold = max(longestHold, hold)
            }
            self.longestHold = longestHold
            self.inOrder = inOrder
            order =
                inOrder ? [] : jobs.indices.sorted { (jobs[$0].submitMillis, $0) < (jobs[$1].submitMillis, $1) }
            firstT = jobs.isEmpty ? 0 : jobs[inOrder ? 0 : order[0]].submitMillis
            lastT = firstT
            // Events may come until every job could have run: the last arrival plus every time limit and hold.
            let lastSubmit = jobs.isEmpty ? 0 : jobs[inOrder ? jobs.count - 1 : order[jobs.count - 1]].submitMillis
            let horizon = Self.seconds(lastSubmit) + limits + (holds + 999) / 1000 + 1
            let windows = try options.events.reservations(on: spec, until: horizon)
            book = QueueBook(
                spec: spec, policy: options.queue, now: Self.seconds(firstT), reservations: windows, mode: .simulation)
            if !options.defersPlans { book.defersPlans = false }
            failures = try options.events.failureList(on: spec, until: horizon).map {
                ($0.node, $0.at * 1000, $0.repair * 1000)
            }
            var edges: [(at: Int64, node: Int, delta: Int)] = []
            for w in windows {
                for n in w.nodes { edges += [(w.start * 1000, n, 1), (w.end * 1000, n, -1)] }
            }
            edges.sort { ($0.at, $0.delta, $0.node) < ($1.at, $1.delta, $1.node) }
            windowEdges = edges
            hasClusterEvents = !edges.isEmpty || !failures.isEmpty
            offline = Array(repeating: 0, count: spec.nodes.count)
            downUntil = Array(repeating: .min, count: spec.nodes.count)
            records = Array(repeating: JobRecord(), count: jobs.count)
            if recordsPlacements { placements = Array(repeating: nil, count: jobs.count) }
            run = Run(
                outcomes: SimulatedOutcomes(), events: 0, totalGPUs: capacity, makespan: 0, busyGPUSeconds: 0,
                fragmentationBlockedGPUSeconds: 0, unavailableGPUSeconds: 0, lostGPUSeconds: 0, nodeFailures: 0,
                preemptedRuns: 0,
                work: QueuePass.Counters(), timeline: [], invariantViolations: [])
        }

        /// The engine's time at `t`: the second (from the start of the trace) that millisecond `t` falls in.
        @inline(__always) static func seconds(_ t: Int64) -> Int64 { Timestamp.seconds(ofMillis: t) }

        /// How long job `index` holds its GPUs past its run, in milliseconds.
        @inline(__always) func hold(_ index: Int) -> Int64 { max(jobs[index].holdMillis ?? holdOverhead, 0) }

        /// The index of the `k`-th job to arrive.
        @inline(__always) func arrival(_ k: Int) -> Int { inOrder ? k : order[k] }

        /// The next moment anything happens, or nil when nothing is left that could start a job.
        mutating func nextTime() -> Int64? {
            var t = Int64.max
            if next < jobs.count { t = jobs[arrival(next)].submitMillis }
            if let e = ends.firstTime() { t = min(t, e) }
            // The cluster's own events matter only while jobs are still to come or to run.
            let live = next < jobs.count || !ends.isEmpty || !waiting.isEmpty
            guard live else { return nil }
            if hasClusterEvents {
                if nextFailure < failures.count { t = min(t, failures[nextFailure].at) }
                if let r = repairs.first { t = min(t, r.at) }
                if nextEdge < windowEdges.count { t = min(t, windowEdges[nextEdge].at) }
            }
            return t == .max ? nil : t
        }

        mutating func run(progress: ((Double) -> Void)?) {
            let reportEvery = max(jobs.count / 100, 1)
            // The arrivals at each moment (a local: kept in the loop's state, the list would be copied to be
            // handed to a pass that changes that state).
            var arrivals: [Int] = []
            while let t = nextTime() {
                // Pending jobs alone, with only far events left (a window to end): stop if none could start.
                let dt = Double(t - lastT) / 1000
                run.busyGPUSeconds += Double(busy) * dt
                run.unavailableGPUSeconds += Double(offlineGPUs) * dt
                if blocked { run.fragmentationBlockedGPUSeconds += Double(capacity - busy - offlineGPUs) * dt }
                lastT = t
                var full = false
                while let e = ends.firstTime(), e <= t, let popped = ends.pop() {
                    let key = popped.key
                    let index = key >> 16
                    guard records[index].running, endKey(index) == key else {
                        continue
                    }
                    end(index, at: t, finished: true)
                    run.events += 1
                    full = true
                }
                if hasClusterEvents { full = clusterEvents(at: t) || full }
                arrivals.clearKeepingCapacity()
                while next < jobs.count && jobs[arrival(next)].submitMillis == t {
                    let index = arrival(next)
                    next += 1
                    run.events += 1
                    if next % reportEvery == 0 { progress?(Double(next) / Double(jobs.count)) }
                    if let reason = neverFits(index) {
                        neverFitsReasons[index] = reason
                        continue
                    }
                    arrivals.append(index)
                }
                // Nothing freed: the jobs already waiting still do not fit; only the new ones are offered
                // (and wait only if they do not start).
                if full {
                    for index in arrivals { enqueue(index) }
                    if !waiting.isEmpty { pass(nil, at: t) }
                } else if !arrivals.isEmpty {
                    pass(arrivals, at: t)
                }
                blocked = (waiting.minimumGPUs ?? .max) <= capacity - busy - offlineGPUs
                record(TimelinePoint(time: Double(t) / 1000, busyGPUs: busy, queued: waiting.count))
            }
            progress?(1)
        }

        mutating func record(_ point: TimelinePoint) {
            lastPoint = point
            if timelineSkipped + 1 < timelineStride {
                timelineSkipped += 1
                return
            }
            timelineSkipped = 0
            timeline.append(point)
            if timeline.count == 4096 {
                timeline = stride(from: 0, to: timeline.count, by: 2).map { timeline[$0] }
                timelineStride *= 2
            }
        }

        /// A running job gives its allocation back (the book holds it: the end heap keeps times only);
        /// `finished`: its run is over (not lost), and `t` is when its GPUs come back (its run ended the hold
        /// overhead before).
        @discardableResult
        mutating func end(_ index: Int, at t: Int64, finished: Bool = false) -> Allocation? {
            guard let allocation = book.ended(id: Int64(index), at: Self.seconds(t)) else { return nil }
            // The book held it as this job's: the cluster holds it too (checked in debug builds).
            state.releaseKnownHeld(allocation)
            busy -= allocation.gpuCount
            // (One write of the record: each field written alone would check that the table is not shared.)
            var k = records[index]
            k.running = false
            if finished { k.end = t - hold(index) }
            records[index] = k
            return allocation
        }

        /// Failures, repairs and window edges at `t`; true when they call for a full pass.
        mutating func clusterEvents(at t: Int64) -> Bool {
            var full = false
            while nextEdge < windowEdges.count && windowEdges[nextEdge].at == t {
                let e = windowEdges[nextEdge]
                nextEdge += 1
                run.events += 1
                if checking && state.jobCount(node: e.node) > 0 {
                    overrunWindows.append(
                        "\(state.spec.nodes[e.node].name) holds a job at t=\(t), when a maintenance window "
                            + (e.delta > 0 ? "begins" : "ends"))
                }
                setOffline(e.node, by: e.delta)
                if e.delta < 0 { full = true }
            }
            while let r = repairs.first, r.at == t {
                repairs.removeFirst()
                run.events += 1
                state.setAvailability(node: r.node, .up)
                setOffline(r.node, by: -1)
                book.invalidatePlan()
                full = true
            }
            while nextFailure < failures.count && failures[nextFailure].at == t {
                let f = failures[nextFailure]
                nextFailure += 1
                guard downUntil[f.node] <= t else { continue }
                run.events += 1
                run.nodeFailures += 1
                fail(node: f.node, at: t)
                downUntil[f.node] = t + f.repair
                let at = repairs.firstIndex { ($0.at, $0.node) > (t + f.repair, f.node) } ?? repairs.count
                repairs.insert((t + f.repair, f.node), at: at)
                full = true
            }
            return full
        }

        mutating func setOffline(_ node: Int, by delta: Int) {
            let before = offline[node]
            offline[node] += delta
            let gpus = state.spec.nodeType(of: state.spec.nodes[node]).gpus.count
            if before == 0 && offline[node] > 0 { offlineGPUs += gpus }
            if before > 0 && offline[node] == 0 { offlineGPUs -= gpus }
        }

        /// The node goes down; its jobs lose their runs and wait again (their submission time unchanged).
        mutating func fail(node: Int, at t: Int64) {
            var victims: [Int] = []
            for (id, r) in book.running where r.allocation.nodes.contains(where: { $0.node == node }) {
                victims.append(Int(id))
            }
            victims.sort()
            for index in victims { requeue(index, at: t) }
            state.setAvailability(node: node, .down)
            setOffline(node, by: 1)
            book.invalidatePlan()
        }

        /// A running job loses its run (node failure, preemption) and waits again, its submission time kept.
        mutating func requeue(_ index: Int, at t: Int64) {
            guard let allocation = end(index, at: t) else { return }
            run.lostGPUSeconds += Double(allocation.gpuCount) * Double(t - records[index].start) / 1000
            records[index].start = JobRecord.none
            records[index].timedOut = false
            records[index].interruptions &+= 1
            enqueue(index)
        }

        func neverFitsUncached(_ request: ResourceRequest) -> String? {
            if case let .failure(refusal) = idle.place(request), refusal.kind != .notNow { return refusal.reason }
            return nil
        }

        /// Why a job can never run here (the engine's refusal on the idle cluster, or its account's limits).
        mutating func neverFits(_ index: Int) -> String? {
            if book.anyLimits,
                let reason = QueueBook.neverWithinLimits(
                    spec: idle.spec, account: jobs[index].account, gpus: jobs[index].gpuCount ?? 0,
                    storage: jobs[index].request.storage ?? .zero, timeLimit: jobs[index].timeLimit)
            {
                return reason
            }
            // A bucket leaves out the time limit: that one is the job's own.
            if jobs[index].request.time != nil, let refusal = idle.timeLimitRefusal(jobs[index].request) {
                return refusal.reason
            }
            let b = bucket(of: index)
            if b >= neverFitsMemo.count { neverFitsMemo += Array(repeating: nil, count: b + 1 - neverFitsMemo.count) }
            if let known = neverFitsMemo[b] { return known }
            let r = neverFitsUncached(waiting.buckets[b].shared.request)
            neverFitsMemo[b] = .some(r)
            return r
        }

        /// The job as a pass sees it.
        mutating func candidate(_ index: Int) -> QueuePass.Candidate {
            let b = accountedBucket(of: index)
            return waiting.candidate(
                bucket: b, id: Int64(index), submit: Self.seconds(jobs[index].submitMillis),
                timeLimit: jobs[index].timeLimit)
        }

        /// The job's bucket, its account known to the book. Priorities and starts read the account's number:
        /// it is looked up once per bucket, not per job (and an account becomes known, with its share, when
        /// its first job is offered or waits).
        mutating func accountedBucket(of index: Int) -> Int {
            let b = bucket(of: index)
            if waiting.buckets[b].accountId < 0 {
                waiting.buckets[b].accountId = book.accountId(jobs[index].account)
            }
            return b
        }

        /// The job's bucket in `waiting`, found (or made) the first time: by its class (`ArrivalClasses`), so
        /// only the first job of each class has its request looked at here.
        mutating func bucket(of index: Int) -> Int {
            if records[index].bucket < 0 {
                let c = classes.of(index)
                if c >= classBucket.count {
                    classBucket += repeatElement(-1, count: c + 1 - classBucket.count)
                }
                if classBucket[c] < 0 {
                    // A new bucket's request is resolved on the idle cluster.
                    classBucket[c] = Int32(
                        waiting.bucket(
                            request: jobs[index].request, account: jobs[index].account, nice: 0, resolvingOn: idle))
                }
                records[index].bucket = classBucket[c]
            }
            return Int(records[index].bucket)
        }

        /// Adds a waiting job (an arrival, or a job requeued after a failure).
        mutating func enqueue(_ index: Int) {
            let b = accountedBucket(of: index)
            let entry = WaitQueue.Entry(
                id: Int64(index), submit: Self.seconds(jobs[index].submitMillis), timeLimit: jobs[index].timeLimit)
            waiting.add(entry, bucket: b)
            records[index].queued = true
        }

        /// One scheduling pass at `t`: over every waiting job (`arrivals` nil) or over new arrivals only.
        mutating func pass(_ arrivals: [Int]?, at t: Int64, depth: Int = 0) {
            let now = Self.seconds(t)
            // Placements are kept only when the run keeps them (the list stays empty otherwise).
            let record = recordsPlacements
            var placedNow: [(Int64, Allocation)] = []
            // The list's storage is kept from pass to pass.
            var startedNow: [Started] = []
            swap(&startedNow, &spareStarted)
            var victims: [Int64] = []
            // The pass reports to closures written at each call: a closure passed as it is written does not
            // escape, so what it captures is checked for exclusive access when compiled, not at every access
            // (a local function passed as a value is checked at run time).
            let fromQueue: Bool
            if let arrivals {
                // Arrivals are not in `waiting` yet: those that do not start join it below.
                fromQueue = false
                if arrivals.count == 1 {
                    // One arrival (most moments): offered as it is made, with no list to copy it out of.
                    let c = candidate(arrivals[0])
                    let fewest = c.gpuCount
                    QueuePass.run(
                        on: &state, book: &book, queue: CollectionOfOne(consume c), now: now, complete: false,
                        minimumGPUs: fewest, work: &run.work,
                        started: {
                            startedNow.append(Self.started($0, $1))
                            if record { placedNow.append(($0.id, $1.allocation)) }
                            return true
                        },
                        waiting: { if case let .preempting(ids) = $1 { victims += ids } })
                } else {
                    offered.clearKeepingCapacity()
                    // The fewest GPUs an arrival asks for: with fewer free, the pass offers none of them.
                    var fewest = Int.max
                    for index in arrivals {
                        offered.append(candidate(index))
                        fewest = min(fewest, offered[offered.count - 1].gpuCount)
                    }
                    QueuePass.run(
                        on: &state, book: &book, queue: offered, now: now, complete: false, minimumGPUs: fewest,
                        work: &run.work,
                        started: {
                            startedNow.append(Self.started($0, $1))
                            if record { placedNow.append(($0.id, $1.allocation)) }
                            return true
                        },
                        waiting: { if case let .preempting(ids) = $1 { victims += ids } })
                }
            } else if indexed {
                fromQueue = false
                QueuePass.run(
                    on: &state, book: &book, queue: &waiting, now: now, work: &run.work,
                    started: {
                        startedNow.append(Self.started($0, $1))
                        if record { placedNow.append(($0.id, $1.allocation)) }
                        return true
                    },
                    waiting: { if case let .preempting(ids) = $1 { victims += ids } })
            } else {
                fromQueue = true
                QueuePass.run(
                    on: &state, book: &book, queue: waiting.inSubmissionOrder(), now: now, complete: true,
                    minimumGPUs: waiting.minimumGPUs, work: &run.work,
                    started: {
                        startedNow.append(Self.started($0, $1))
                        if record { placedNow.append(($0.id, $1.allocation)) }
                        return true
                    },
                    waiting: { if case let .preempting(ids) = $1 { victims += ids } })
            }
            if checking {
                if let r = book.reservedStart, firstReserved[Int(r.job)] == nil { firstReserved[Int(r.job)] = r.at }
                if !startedNow.isEmpty && t % 1000 != 0 { startedWithinASecond = true }
            }
            for (index, gpus, node) in startedNow {
                // The run takes the trace's duration at the speed of the GPUs it got, cut at its time limit.
                let speed = node < 0 ? 1 : nodeSpeed[node]
                let runtime = Int64((Double(jobs[index].durationMillis) / speed).rounded(.up))
                let timeLimit = jobs[index].timeLimit * 1000
                let length = max(min(runtime, timeLimit), 1)
                // The job's record is read and written once (each field written alone would check that the
                // table is not shared).
                var k = records[index]
                if k.queued && fromQueue {
                    waiting.remove(
                        id: Int64(index), submit: Self.seconds(jobs[index].submitMillis), bucket: Int(k.bucket))
                }
                k.queued = false
                k.start = t
                k.gpus = Int32(gpus)
                k.timedOut = runtime > timeLimit
                k.running = true
                records[index] = k
                busy += gpus
                ends.push(EndQueue.End(time: t + length + hold(index), key: k.endKey(index)))
            }
            startedNow.clearKeepingCapacity()
            swap(&startedNow, &spareStarted)
            for (id, allocation) in placedNow { placements[Int(id)] = allocation }
            if let arrivals {
                for index in arrivals where !records[index].running { enqueue(index) }
            }
            // Preempted jobs give their resources back at once and wait again; the freed room is offered now.
            guard !victims.isEmpty else { return }
            for id in victims where book.running[id] != nil {
                run.preemptedRuns += 1
                requeue(Int(id), at: t)
            }
            if depth < 2 { pass(nil, at: t, depth: depth + 1) }
        }

        /// What the loop keeps of a start: the job's index, its GPUs, and a node of theirs (−1 for a job without
        /// GPUs, whose run takes its trace's duration).
        typealias Started = (index: Int, gpus: Int, node: Int)

        static func started(_ c: QueuePass.Candidate, _ decision: PlacementDecision) -> Started {
            let gpuNode = decision.allocation.gpuModel == nil ? -1 : decision.allocation.nodes[0].node
            return (Int(c.id), decision.allocation.gpuCount, gpuNode)
        }

        /// The key of job `index`'s current run in the end queue: the index, and its run generation (its runs
        /// lost, modulo 2¹⁶). An end whose key is no longer this belongs to a lost run.
        func endKey(_ index: Int) -> Int { records[index].endKey(index) }

        /// A job as the loop tracks it, in 32 bytes (a start or an end reads and writes one record): its start
        /// and end (`none`: not yet), its bucket in `waiting` once it has waited (−1 before, so its key is hashed
        /// once), the GPUs it got (−1: never started), its runs lost (their count, modulo 2¹⁶, is its run's
        /// generation in the end heap: an end of a lost run is dropped), whether it runs or waits, and whether its
        /// run hit its time limit.
        struct JobRecord {
            static let none = Int64.min
            var start = none
            var end = none
            var bucket: Int32 = -1
            var gpus: Int32 = -1
            var interruptions: UInt32 = 0
            var running = false
            var queued = false
            var timedOut = false

            /// `EventLoop.endKey` of job `index`, whose record this is.
            func endKey(_ index: Int) -> Int { index << 16 | Int(interruptions & 0xFFFF) }
        }

        mutating func finish(checkInvariants: Bool) -> Run {
            run.makespan = Double(lastT - firstT) / 1000
            let spec = state.spec
            run.outcomes = SimulatedOutcomes(
                jobs: jobs, records: records, neverFits: neverFitsReasons,
                placements: placements.map { $0.map(spec.placementText(of:)) })
            if let p = lastPoint, timeline.last != p { timeline.append(p) }
            run.timeline = thin(timeline, to: 2000)
            if checkInvariants { run.invariantViolations = violations() }
            return run
        }

        func violations() -> [String] {
            var out: [String] = []
            var gpuSeconds = 0.0
            for (index, (job, o)) in zip(jobs, run.outcomes).enumerated() {
                if o.neverFits != nil { continue }
                guard let s = o.startMillis, let e = o.endMillis else {
                    out.append("job \(job.id) never ended")
                    continue
                }
                if s < job.submitMillis {
                    out.append("job \(job.id) started at \(s) ms, before its submission at \(job.submitMillis) ms")
                }
                if e <= s { out.append("job \(job.id) ended at \(e) ms, not after its start at \(s) ms") }
                gpuSeconds += Double(o.gpus) * Double(e - s + hold(index)) / 1000
            }
            if abs(gpuSeconds + run.lostGPUSeconds - run.busyGPUSeconds) > 0.5 {
                out.append(
                    "GPU-seconds not conserved: jobs held \(gpuSeconds) (+\(run.lostGPUSeconds) lost to failures), "
                        + "the cluster counted \(run.busyGPUSeconds)")
            }
            // EASY backfill in submission order: no job starts later than it was first reserved to. The
            // guarantee holds while nodes do not fail and no job ahead waits for an account limit (when the
            // limit frees, that job goes first, as it would under Slurm). The engine plans in whole seconds
            // and takes a run to end by its start's second plus its time limit: once a run starts within a
            // second, one that runs to its limit may end up to a second later than planned, and any run gives
            // its GPUs back its hold after its end; the reserved job may start that much later.
            let limited = state.spec.accounts.contains { !$0.limits.isEmpty }
            if book.policy == .backfill && run.nodeFailures == 0 && run.preemptedRuns == 0 && !limited {
                let slack = (startedWithinASecond ? 1999 : 0) + longestHold
                for (index, at) in firstReserved.sorted(by: { $0.key < $1.key }) {
                    if let s = run.outcomes[index].startMillis, s > at * 1000 + slack {
                        out.append(
                            "job \(jobs[index].id) was reserved to start at \(at) s but started at \(s) ms")
                    }
                }
            }
            out += overrunWindows
            if state.totalFreeGPUs != capacity {
                out.append("\(capacity - state.totalFreeGPUs) GPUs still held after every job ended")
            }
            out += state.invariantViolations()
            return out
        }
    }
}
