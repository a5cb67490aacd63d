/// When each waiting job is expected to start, from the running jobs' time limits: the queue's own order
/// played forward on a copy of the cluster, as the scheduler would play it if every running job used its
/// whole time limit and nothing else arrived.
///
/// At each moment (now, then each expected end in time order) the waiting jobs are offered in queue
/// order and every one that fits is placed, exactly as a scheduling pass does; a placed job is expected
/// to end after its own time limit. A job that does not fit even once everything ahead of it has ended
/// (a drained node it needs, a partition with nodes down) has no estimate.
///
/// Estimates are upper bounds in a FIFO-greedy queue: jobs end early, and nothing later in the queue can
/// delay an earlier job's estimate, since the pass offers jobs in the same order. Under backfill the job
/// holding the reservation is expected at its reserved start (the controller takes it from the plan). Under
/// strict-fifo (`holdsLine`) the first job that does not fit at a moment holds back every job behind it until
/// the next, as a pass does.
public enum StartEstimate {
    /// A running job: what it holds and when its time limit runs out (seconds since the epoch).
    public struct Running: Sendable {
        public var allocation: Allocation
        public var end: Int64

        public init(allocation: Allocation, end: Int64) {
            self.allocation = allocation
            self.end = end
        }
    }

    /// A waiting job, in queue order.
    public struct Waiting: Sendable {
        public var id: Int64
        public var request: ResourceRequest
        public var timeLimit: TimeSpan
        public var account: String

        public init(id: Int64, request: ResourceRequest, timeLimit: TimeSpan, account: String = "") {
            self.id = id
            self.request = request
            self.timeLimit = timeLimit
            self.account = account
        }
    }

    /// What an estimate cost: placements tried (for tests of its complexity) and end events played.
    public struct Counters: Hashable, Sendable {
        public init() {}
        public var placements = 0
        public var events = 0
    }

    /// Expected start per waiting job id (seconds since the epoch); jobs without one are left out.
    /// `state` must hold exactly the running jobs' allocations. Jobs are kept off reserved nodes as a pass keeps
    /// them (`reservations`), and `waiting` comes in the order the queue policy offers the jobs; `holdsLine`:
    /// nothing passes the first job that does not fit (strict-fifo).
    public static func estimate(
        state: ClusterState, running: [Running], waiting: [Waiting], now: Int64,
        reservations: ReservationBook = ReservationBook(), holdsLine: Bool = false, work: inout Counters
    ) -> [Int64: Int64] {
        var state = state
        var ends = EventHeap()
        for r in running { ends.push(max(r.end, now), 0, r.allocation) }
        var free = state.totalFreeGPUs
        var remaining = waiting
        var out: [Int64: Int64] = [:]
        var t = now
        while !remaining.isEmpty {
            var kept: [Waiting] = []
            kept.reserveCapacity(remaining.count)
            for (i, w) in remaining.enumerated() {
                // Under strict-fifo the first job that does not fit holds back the rest until the next moment.
                if holdsLine && !kept.isEmpty {
                    kept += remaining[i...]
                    break
                }
                // A job asking for more GPUs than are free anywhere cannot fit: skip the placement.
                if let g = w.request.gpuCount, g > free {
                    kept.append(w)
                    continue
                }
                work.placements += 1
                let candidate = QueuePass.Candidate(
                    id: w.id, request: w.request, account: w.account, timeLimit: max(w.timeLimit.seconds, 1))
                guard
                    case let .success(decision) = QueuePass.place(
                        candidate, on: &state, reservations: reservations, from: t,
                        until: t + max(w.timeLimit.seconds, 1)),
                    (try? state.commit(decision.allocation)) != nil
                else {
                    kept.append(w)
                    continue
                }
                free -= decision.allocation.gpuCount
                out[w.id] = t
                ends.push(t + max(w.timeLimit.seconds, 1), 0, decision.allocation)
            }
            remaining = kept
            // Play every end (and the end of every window) at the next moment, then offer the rest again.
            let windowEnd = reservations.ends(after: t).first
            guard let next = [ends.peekTime, windowEnd].compactMap({ $0 }).min() else { break }
            t = next
            while let (_, allocation) = ends.popIfAt(t) {
                work.events += 1
                if (try? state.release(allocation)) != nil { free += allocation.gpuCount }
            }
        }
        return out
    }
}

extension ClusterState {
    /// Free GPUs on every node, whatever their availability (O(1): kept by commit and release).
    var totalFreeGPUs: Int { freeGPUTotal }
}
