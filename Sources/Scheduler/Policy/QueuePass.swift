/// One scheduling pass: the queue policy the controller runs at wall-clock time and the simulator at
/// virtual time (DESIGN.md, "one engine, two clocks"). There is no other copy of it.
///
/// For now the policy is FIFO-greedy: waiting jobs are offered in queue order and each one that fits now is
/// placed and committed; one that does not fit does not block the jobs behind it (no reservation for
/// large jobs, no priorities) and gets the engine's refusal as its reason. A job asking for more GPUs than
/// are free anywhere is refused without a placement (`Work.skipped`), so a pass over a deep queue on a
/// busy cluster costs a comparison per job.
public enum QueuePass {
    /// A job offered to the pass.
    public struct Candidate: Sendable {
        public var id: Int64
        public var request: ResourceRequest

        public init(id: Int64, request: ResourceRequest) {
            self.id = id
            self.request = request
        }
    }

    /// What the pass did, for metrics and tests of its cost.
    public struct Work: Hashable, Sendable {
        public var placements = 0
        public var skipped = 0
        public var started = 0

        public init(placements: Int = 0, skipped: Int = 0, started: Int = 0) {
            self.placements = placements
            self.skipped = skipped
            self.started = started
        }
    }

    /// Runs one pass over `queue` (in order) on `state`: every placement it makes is committed on `state`
    /// before `started` hears of it; `waiting` hears every job that stays, with the engine's reason, or nil
    /// when it was skipped for want of free GPUs (its reason has not changed in kind: ask `place` if none is
    /// known). `started` may return false to undo a start (the caller could not record it).
    public static func run(
        on state: inout ClusterState, queue: some Sequence<Candidate>, work: inout Work,
        started: (Candidate, PlacementDecision) -> Bool,
        waiting: (Candidate, PlacementRefusal?) -> Void
    ) {
        var free = state.totalFreeGPUs
        for c in queue {
            if let g = c.request.gpus, g * max(c.request.nodes ?? 1, 1) > free {
                work.skipped += 1
                waiting(c, nil)
                continue
            }
            work.placements += 1
            switch state.place(c.request) {
            case let .success(decision):
                guard (try? state.commit(decision.allocation)) != nil else {
                    waiting(c, PlacementRefusal(.notNow, "its placement could not be committed"))
                    continue
                }
                if started(c, decision) {
                    free -= decision.allocation.gpuCount
                    work.started += 1
                } else {
                    try? state.release(decision.allocation)
                }
            case let .failure(refusal):
                waiting(c, refusal)
            }
        }
    }
}
