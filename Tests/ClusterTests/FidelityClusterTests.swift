import Foundation
import RasporedAPI
import Testing

@testable import Scheduler

/// The simulator against the real controller, job by job: a seeded workload of bursts runs through the
/// controller and six stand-in agents (real `sleep` processes), `schedctl history --format trace` exports
/// what happened (each job's run and its own hold past the run), and `schedctl simulate --jobs-out` replays
/// it under the same policy. Under each policy the replay must give at least 95 % of the jobs the same node
/// and GPUs and a start within 0.5 s of the controller's (docs/simulate.md, "Fidelity").
@Suite(.serialized, .timeLimit(.minutes(5))) struct FidelityClusterTests {
    /// One job of the workload: when it is submitted (seconds after the first burst), its GPUs, how long it
    /// sleeps, and its time limit in whole seconds.
    struct Planned {
        var at: Double
        var gpus: Int
        var seconds: Double
        var limit: Int
        var account: String
    }

    /// Bursts of jobs (1 to 16 GPUs, 1 to 4 s, limits 2 to 3 times the run, from three of the platform's
    /// accounts), seeded: more work than 48 GPUs take at once, so jobs queue and the policy decides.
    static func workload(seed: UInt64) -> [Planned] {
        var rng = SeededRandom(seed: seed)
        let sizes = [1, 2, 2, 4, 4, 8, 8, 16]
        let accounts = ["ivi", "etf", "ipb"]
        var jobs: [Planned] = []
        for (burst, at) in [0.0, 2.5, 5.0, 7.5].enumerated() {
            for _ in 0..<(burst.isMultiple(of: 2) ? 10 : 8) {
                let seconds = 1 + Double(rng.next() % 31) / 10
                let factor = 2 + Double(rng.next() % 11) / 10
                jobs.append(
                    Planned(
                        at: at, gpus: sizes[Int(rng.next() % UInt64(sizes.count))], seconds: seconds,
                        limit: Int((seconds * factor).rounded(.up)) + 1,
                        account: accounts[Int(rng.next() % UInt64(accounts.count))]))
            }
        }
        return jobs
    }

    /// How a replay compares with the controller's run.
    struct Figures: CustomStringConvertible {
        var jobs = 0
        var samePlacement = 0
        var startWithinHalfASecond = 0
        var startErrors: [Double] = []
        var holdOverheadMillis: Int64 = 0
        /// Each job, live and replayed, for a failure's message.
        var rows: [String] = []

        var placementShare: Double { Double(samePlacement) / Double(max(jobs, 1)) }
        var startShare: Double { Double(startWithinHalfASecond) / Double(max(jobs, 1)) }
        /// The figures and every job, live and replayed (a failure's message).
        var detail: String { ([description] + rows).joined(separator: "\n") }
        var description: String {
            let sorted = startErrors.sorted()
            let p95 =
                sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((0.95 * Double(sorted.count)).rounded(.up)) - 1)]
            return
                "\(jobs) jobs: same node and GPUs \(samePlacement) (\(Int(placementShare * 100)) %), start within 0.5 s "
                + "\(startWithinHalfASecond) (\(Int(startShare * 100)) %), |start error| p95 \(String(format: "%.3f", p95)) s, "
                + "max \(String(format: "%.3f", sorted.last ?? 0)) s; hold overhead \(holdOverheadMillis) ms"
        }
    }

    /// Runs the workload on a fresh cluster under `policy`, exports it, replays it, and compares.
    func compare(policy: QueuePolicyName, seed: UInt64 = 29) async throws -> Figures {
        // Fencing is not under test here: a lease far longer than the 5 s of the other cluster tests, so that a
        // machine that stalls for seconds under the whole suite's load does not stop the workload's jobs.
        let c = LocalCluster(lease: "60s", downAfter: "70s")
        defer { c.stopNow() }
        let yaml = try String(contentsOfFile: c.clusterFile, encoding: .utf8)
        try yaml.replacingOccurrences(of: "  policy: fairshare", with: "  policy: \(policy.rawValue)")
            .write(toFile: c.clusterFile, atomically: true, encoding: .utf8)
        try await c.start()
        let plan = Self.workload(seed: seed)
        // Each burst's jobs are submitted at once, as a script submitting them would.
        let began = ContinuousClock.now
        var ids: [Int64] = []
        for at in Set(plan.map(\.at)).sorted() {
            try await Task.sleep(until: began + .milliseconds(Int(at * 1000)))
            let burst = plan.filter { $0.at == at }
            let submitted = try await withThrowingTaskGroup(of: Int64.self) { group in
                for p in burst {
                    var job = c.job(
                        c.sh("sleep \(p.seconds)"), gpus: p.gpus, time: TimeSpan(seconds: Int64(p.limit)))
                    job.request.account = p.account
                    group.addTask { try await c.submit(job).id }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            ids += submitted
        }
        var ended: [Int64: JobView] = [:]
        for id in ids { ended[id] = try await c.waitForJob(id, in: [.completed], timeout: 120) }

        let env = ["HOME": c.dir, "RASPORED_CONTROLLER": c.base, "RASPORED_TOKEN": c.adminToken]
        let trace = c.dir + "/history.csv"
        let history = try c.tool("schedctl", ["history", "--format", "trace"], environment: env)
        #expect(history.status == 0, "\(history.stderr)")
        try history.stdout.write(toFile: trace, atomically: true, encoding: .utf8)

        // The hold overhead this run measured, from a run's end to its GPUs' release: the median, for any job
        // the trace gives no hold of its own (each job that ended here has one).
        let holds = ended.values.compactMap { v in v.releasedMillis.flatMap { r in v.endMillis.map { r - $0 } } }
            .sorted()
        #expect(holds.count == ids.count)
        var figures = Figures()
        figures.holdOverheadMillis = holds.isEmpty ? 0 : holds[holds.count / 2]
        let jobsOut = c.dir + "/jobs.csv"
        let replay = try c.tool(
            "schedctl",
            [
                "simulate", "--trace", trace, "--cluster", c.clusterFile, "--policy", policy.rawValue,
                "--hold-overhead", "\(figures.holdOverheadMillis)ms", "--jobs-out", jobsOut,
            ], environment: env)
        #expect(replay.status == 0, "\(replay.stderr)")

        // The trace's times count from the first submission's whole second.
        let origin = (ended.values.map(\.submitMillis).min() ?? 0) / 1000 * 1000
        // The trace readers' own CSV splitter: a placement over several GPU ranges is a quoted field.
        let rows = try CSVRecords(try String(contentsOfFile: jobsOut, encoding: .utf8), file: jobsOut)
        #expect(rows.header == ["scenario", "policy", "id", "submit", "start", "end", "outcome", "placement"])
        for row in rows.records {
            let cells = row.fields
            let placement = cells[7]
            guard let id = Int64(cells[2]), let live = ended[id], let liveStart = live.startMillis,
                let start = Double(cells[4])
            else {
                Issue.record("a replayed row that is no job of the run: \(cells)")
                continue
            }
            figures.jobs += 1
            let livePlacement = live.allocation?.placementText ?? ""
            if livePlacement == placement { figures.samePlacement += 1 }
            let error = abs(start - Double(liveStart - origin) / 1000)
            figures.startErrors.append(error)
            if error <= 0.5 { figures.startWithinHalfASecond += 1 }
            func t(_ ms: Int64?) -> String { ms.map { TraceCSV.millisText($0 - origin) } ?? "-" }
            figures.rows.append(
                "\(id) \(live.account) submit \(t(live.submitMillis)) start \(t(live.startMillis))/\(cells[4]) end "
                    + "\(t(live.endMillis))/\(cells[5]) released \(t(live.releasedMillis)) \(livePlacement)"
                    + (livePlacement == placement ? "" : " / \(placement)"))
        }
        #expect(figures.jobs == ids.count, "every job replayed once")
        return figures
    }

    @Test func fifoIsReplayedJobByJob() async throws {
        let f = try await compare(policy: .fifo)
        print("fidelity fifo: \(f)")
        #expect(f.placementShare >= 0.95, "\(f.detail)")
        #expect(f.startShare >= 0.95, "\(f.detail)")
    }

    @Test func backfillIsReplayedJobByJob() async throws {
        let f = try await compare(policy: .backfill)
        print("fidelity backfill: \(f)")
        #expect(f.placementShare >= 0.95, "\(f.detail)")
        #expect(f.startShare >= 0.95, "\(f.detail)")
    }

    /// Fair share orders accounts by usage accrued by the second, so a pass the controller runs just after a
    /// second turns, and the replay just before, may order them differently; on this workload it replays as
    /// exactly as the others (docs/simulate.md, "Fidelity").
    @Test func fairshareIsReplayedJobByJob() async throws {
        let f = try await compare(policy: .fairshare)
        print("fidelity fairshare: \(f)")
        #expect(f.placementShare >= 0.95, "\(f.detail)")
        #expect(f.startShare >= 0.95, "\(f.detail)")
    }
}
