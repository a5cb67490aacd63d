import Benchmark
import Foundation
import Scheduler

/// The controller's decision cost with a deep queue: one complete pass (`QueuePass.run` over a plain queue,
/// as the controller runs it) over 5,000 waiting jobs on the platform with every GPU but a few busy, under
/// each queue policy. Each iteration restores the cluster and the book, so every pass decides the same.
func queuePassBenchmarks(platform: ClusterSpec) {
    var state = ClusterState(spec: platform)
    var book = QueueBook(spec: platform, policy: .fifo, now: 0)
    // Busy: five whole nodes and 7 GPUs of the sixth, ending over the next hours.
    var id: Int64 = 1_000_000
    for gpus in [8, 8, 8, 8, 8, 4, 2, 1] {
        guard case let .success(d) = state.place(ResourceRequest(gpus: gpus)) else { continue }
        try! state.commit(d.allocation)
        id += 1
        book.started(id: id, account: "ivi", allocation: d.allocation, end: 600 * id % 36_000 + 600, at: 0)
    }
    var rng = SeededRandom(seed: 4)
    let sizes = [1, 2, 4, 8, 16]
    let accounts = ["ivi", "etf", "pmf-ns", "ipb", "mi-sanu"]
    let queue = (0..<5000).map { i in
        QueuePass.Candidate(
            id: Int64(i), request: ResourceRequest(gpus: sizes[Int(rng.next() % 5)]),
            account: accounts[Int(rng.next() % 5)], submit: Int64(i), timeLimit: Int64(600 + rng.next() % 86_000))
    }
    for policy in QueuePolicyName.allCases {
        var base = QueueBook(spec: platform, policy: policy, now: 0)
        for (rid, r) in book.runningAllocations {
            base.started(id: rid, account: "ivi", allocation: r.0, end: r.1, at: 0)
        }
        Benchmark(
            "queue pass over 5,000 waiting jobs, 48 GPUs, \(policy.rawValue)",
            configuration: .init(metrics: [.wallClock, .throughput], timeUnits: .microseconds, maxIterations: 2000)
        ) { benchmark in
            for _ in benchmark.scaledIterations {
                var s = state
                var b = base
                var work = QueuePass.Counters()
                QueuePass.run(
                    on: &s, book: &b, queue: queue, now: 60, work: &work, started: { _, _ in true },
                    waiting: { _, _ in })
                blackHole(work.placements)
            }
        }
    }
}
