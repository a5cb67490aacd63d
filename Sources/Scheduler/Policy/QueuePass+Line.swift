extension QueuePass {
    /// Under strict-fifo, the first job in line that did not start in a pass (no room, an account limit, a
    /// reservation's window, preemption under way): every job behind it waits (`Wait.behind`), across the
    /// whole cluster, whatever its partition or account. Nothing passes it, so it needs no reservation. The
    /// one exception is preemption, which ranks partitions' tiers above the line: a job held for a preemptor
    /// (the victims, requeued with their submission times, come before it in line) yields to it and holds
    /// nothing back.
    ///
    /// A complete pass finds it afresh; a pass over newcomers only keeps the book's (nothing was freed since),
    /// so a newcomer behind it waits, and one that comes before it in line (a job whose dependency now holds)
    /// is offered, and holds the line in its place if it does not start. It is offered again only by a
    /// complete pass: if a pass over newcomers offers it again and it starts, it still holds the line until
    /// the next complete pass, which keeps the newcomers behind it waiting (the pass cannot tell which job is
    /// next in line).
    struct LineHead: Sendable, Hashable {
        var id: Int64
        var key: SortKey
    }
}

extension QueuePass.Pass {
    /// `offer` under strict-fifo: a job behind the one that holds the line waits behind it; any other is
    /// considered, and holds the line if it does not start (but for one held for a preemptor).
    mutating func offerInLine(
        _ c: QueuePass.Candidate, key: QueuePass.SortKey, state: inout ClusterState, book: inout QueueBook,
        work: inout QueuePass.Counters, unplaceable: PlacementRefusal?,
        started: (QueuePass.Candidate, PlacementDecision) -> Bool,
        waiting: (QueuePass.Candidate, QueuePass.Wait) -> Void
    ) -> Outcome {
        if let head = lineHead, key > head.key {
            waiting(c, .behind(head.id))
            return .behind
        }
        let outcome = consider(
            c, key: key, state: &state, book: &book, work: &work, unplaceable: unplaceable, started: started,
            waiting: waiting)
        if outcome != .started && outcome != .held { lineHead = QueuePass.LineHead(id: c.id, key: key) }
        return outcome
    }
}
