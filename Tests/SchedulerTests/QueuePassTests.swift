import Testing

@testable import Scheduler

/// The queue pass both clocks run, under FIFO, worked out on the platform's six DGX H200s.
@Suite struct QueuePassTests {
    @Test func jobsThatFitStartInOrderAndOnesThatDoNotWaitWithTheEnginesReason() throws {
        var state = ClusterState(spec: try platform())
        // Five whole nodes busy: 8 GPUs free, all on the sixth node.
        for _ in 0..<5 {
            guard case let .success(d) = state.place(ResourceRequest(gpus: 8)) else { Issue.record("no room"); return }
            try state.commit(d.allocation)
        }
        let queue: [QueuePass.Candidate] = [
            .init(id: 1, request: ResourceRequest(gpus: 4, gpuModel: "B200")),  // no such GPUs: the engine says why
            .init(id: 2, request: ResourceRequest(gpus: 4)),  // fits
            .init(id: 3, request: ResourceRequest(gpus: 8)),  // only 4 left: skipped by count
            .init(id: 4, request: ResourceRequest(gpus: 4)),  // fits the other half
            .init(id: 5, request: ResourceRequest(gpus: 1)),  // nothing left: skipped by count
        ]
        var work = QueuePass.Counters()
        var started: [Int64] = []
        var waiting: [Int64: String?] = [:]
        var book = QueueBook(spec: state.spec, policy: .fifo, now: 0)
        QueuePass.run(
            on: &state, book: &book, queue: queue, now: 0, work: &work,
            started: { c, _ in
                started.append(c.id)
                return true
            },
            waiting: { c, w in waiting.updateValue(w.refusal?.reason, forKey: c.id) })
        #expect(started == [2, 4])
        // Jobs 3 and 5 are skipped by count (no placement tried): their reasons have not changed in kind.
        #expect(Set(waiting.keys) == [1])
        #expect(waiting[1]??.contains("B200") == true)  // the engine's words
        var expected = QueuePass.Counters(placements: 3, skipped: 2, started: 2)
        expected.offered = 5  // each job in turn
        #expect(work == expected)
        #expect(state.totalFreeGPUs == 0)
        #expect(state.invariantViolations().isEmpty)
    }

    @Test func aStartTheCallerCannotRecordIsUndone() throws {
        var state = ClusterState(spec: try platform())
        var work = QueuePass.Counters()
        var book = QueueBook(spec: state.spec, now: 0)
        QueuePass.run(
            on: &state, book: &book, queue: [.init(id: 1, request: ResourceRequest(gpus: 8))], now: 0, work: &work,
            started: { _, _ in false }, waiting: { _, _ in })
        #expect(state.totalFreeGPUs == 48)
        #expect(work.started == 0)
        #expect(book.runningCount == 0)
    }
}
