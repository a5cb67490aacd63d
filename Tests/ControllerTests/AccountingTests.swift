import Foundation
import GRDB
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// The platform's accounting on a real core and store: every run recorded, history by window and by who may
/// see it, usage over a period, shares as the priority reads them, counters, purge and the migration.
@Suite struct AccountingTests {
    static let base = t0 * 1000

    /// The platform's cluster.yaml with a project under ivi (ivi-llm) and bo coordinating ivi.
    static func spec() throws -> ClusterSpec {
        var spec = try platformSpec()
        let i = try #require(spec.accounts.firstIndex { $0.name == "ivi" })
        spec.accounts[i].coordinators = ["bo"]
        spec.accounts.append(Account(name: "ivi-llm", description: "a project", share: 10, parent: "ivi"))
        return spec
    }

    static func core(_ dir: String, clock: MillisClock, spec: ClusterSpec) throws -> ControllerCore {
        try ControllerCore(
            spec: spec, store: try StateStore(directory: dir, create: !FileManager.default.fileExists(atPath: dir)),
            settings: noAgents, logger: quietLogger, millisClock: clock.read)
    }

    static func job(_ gpus: Int, account: String, time: TimeSpan = .hours(2)) -> SubmitRequest {
        SubmitRequest(
            request: ResourceRequest(gpus: gpus, account: account, time: time), command: ["python", "train.py"],
            workdir: "/home/ana")
    }

    /// A state folder of the test's own (removed by the caller) and a clock at `base`.
    static func folder() -> (String, MillisClock) {
        (
            FileManager.default.temporaryDirectory.appendingPathComponent("raspored-acct-\(UUID().uuidString)").path,
            MillisClock(base)
        )
    }

    /// A history filter over everything, or the window given (milliseconds after `base`).
    static func window(_ from: Int64 = -1_000_000, _ to: Int64 = 100_000_000) -> HistoryFilter {
        HistoryFilter(sinceMillis: base + from, untilMillis: base + to)
    }

    /// ana's 2-GPU job runs 100.5 s, its node's agent stops it (lease lapsed: requeued), it runs again at once
    /// and completes at 3,600 s; ana's second job (ivi-llm) is cancelled while pending. Returns the core, the
    /// two jobs' ids and the store's folder.
    static func scenario(
        _ dir: String, clock: MillisClock
    ) async throws -> (core: ControllerCore, requeued: Int64, cancelled: Int64) {
        let core = try core(dir, clock: clock, spec: try spec())
        clock.set(base)
        let a = try await core.submit(job(2, account: "ivi"), by: ana)
        #expect(a.state == .running)
        let node = try #require(a.allocation?.nodes.first?.node)
        clock.set(base + 100_500)
        await core.apply([RunStatus(runId: RunId.make(job: a.id, attempt: 0), phase: .stopped)], from: node)
        let again = try await core.job(a.id, by: ana)
        #expect(again.requeueCount == 1)
        #expect(again.state == .running)
        #expect(again.startMillis == base + 100_500)
        // 48 GPUs cannot start beside the 2 held: it waits, and is cancelled.
        clock.set(base + 200_000)
        let b = try await core.submit(job(48, account: "ivi-llm"), by: ana)
        #expect(b.state == .pending)
        clock.set(base + 300_000)
        _ = try await core.cancel(b.id, by: ana)
        clock.set(base + 3_700_000)
        let node2 = try #require(again.allocation?.nodes.first?.node)
        await core.apply(
            [
                RunStatus(
                    runId: RunId.make(job: a.id, attempt: 1), phase: .completed, exitCode: 0,
                    endedAt: Double(t0) + 3600, cpuSeconds: 1800, peakMemoryBytes: 1 << 30)
            ], from: node2)
        #expect(try await core.job(a.id, by: ana).state == .completed)
        return (core, a.id, b.id)
    }

    @Test func everyRunOfARequeuedJobIsInItsHistoryWithItsGPUSeconds() async throws {
        let (dir, clock) = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (core, a, b) = try await Self.scenario(dir, clock: clock)
        let page = try await core.history(Self.window(), by: ana)
        #expect(page.jobs.map(\.id) == [a, b])
        #expect(page.next == nil)
        let job = page.jobs[0]
        let runs = try #require(job.runs)
        #expect(runs.map(\.run) == [0, 1])
        #expect(runs.map(\.outcome) == [.requeued, .completed])
        #expect(runs.map(\.startMillis) == [Self.base, Self.base + 100_500])
        #expect(runs.map(\.endMillis) == [Self.base + 100_500, Self.base + 3_600_000])
        #expect(runs.map(\.gpus) == [2, 2])
        #expect(runs[0].reason == "requeued: node \(runs[0].nodes[0]) lost")
        #expect(runs[1].exitCode == 0 && runs[1].signal == nil)
        #expect(runs[1].cpuSeconds == 1800 && runs[1].peakMemoryBytes == 1 << 30)
        #expect(runs[0].cpuSeconds == nil)
        #expect(runs.allSatisfy { $0.gpuModel == "H200" })
        // 2 GPUs × 100.5 s, then 2 GPUs × 3,499.5 s.
        #expect(job.gpuSeconds == 7200)
        // The job cancelled while pending: no run, nothing held.
        #expect(page.jobs[1].runs == [])
        #expect(page.jobs[1].gpuSeconds == 0)
        // Paging: one job a page.
        var one = Self.window()
        one.limit = 1
        let first = try await core.history(one, by: ana)
        #expect(first.jobs.map(\.id) == [a] && first.next == a)
        one.afterId = a
        #expect(try await core.history(one, by: ana).jobs.map(\.id) == [b])
    }

    @Test func theWindowSelectsJobsThatRanOrEndedInIt() async throws {
        let (dir, clock) = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (core, a, b) = try await Self.scenario(dir, clock: clock)
        func ids(_ from: Int64, _ to: Int64, _ f: (inout HistoryFilter) -> Void = { _ in }) async throws -> [Int64] {
            var filter = Self.window(from, to)
            f(&filter)
            return try await core.history(filter, by: root).jobs.map(\.id)
        }
        // Before anything ran; while only the first run ran; the cancel's moment; after everything.
        #expect(try await ids(-10_000, -1) == [])
        #expect(try await ids(0, 50_000) == [a])
        #expect(try await ids(250_000, 350_000) == [a, b])
        #expect(try await ids(3_600_001, 9_000_000) == [])
        #expect(try await ids(3_600_000, 9_000_000) == [a])
        #expect(try await ids(-1_000, 9_000_000) { $0.states = [.cancelled] } == [b])
        #expect(try await ids(-1_000, 9_000_000) { $0.accounts = ["ivi-llm"] } == [b])
        #expect(try await ids(-1_000, 9_000_000) { $0.users = ["bo"] } == [])
        // Asked for a user's jobs, the store reads them by user and tests each: the same answers.
        #expect(try await ids(0, 50_000) { $0.users = ["ana"] } == [a])
        #expect(try await ids(250_000, 350_000) { $0.users = ["ana"] } == [a, b])
        #expect(try await ids(3_600_001, 9_000_000) { $0.users = ["ana"] } == [])
        #expect(try await ids(-10_000, -1) { $0.users = ["ana"] } == [])
        let node = try #require(try await core.job(a, by: root).allocation?.nodes.first?.node)
        #expect(try await ids(-1_000, 9_000_000) { $0.node = node } == [a])
        #expect(try await ids(-1_000, 9_000_000) { $0.node = "dgx99" } == [])
    }

    @Test func usersSeeTheirOwnJobsAndCoordinatorsTheirAccounts() async throws {
        let (dir, clock) = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (core, a, b) = try await Self.scenario(dir, clock: clock)
        // bo coordinates ivi, and so ivi-llm under it: both of ana's jobs.
        #expect(try await core.history(Self.window(), by: bo).jobs.map(\.id) == [a, b])
        let cy = Principal(tokenId: 9, user: "cy", role: .user)
        #expect(try await core.history(Self.window(), by: cy).jobs.isEmpty)
        var others = Self.window()
        others.users = ["ana"]
        await #expect(throws: ControllerError.self) { _ = try await core.history(others, by: cy) }
        let agent = Principal(tokenId: 8, user: "agent", role: .agent, node: "dgx01")
        await #expect(throws: ControllerError.self) { _ = try await core.history(Self.window(), by: agent) }
        // Usage as cy: nothing of ana's, and said to be partial.
        let usage = try await core.usage(
            sinceMillis: Self.base, untilMillis: Self.base + 3_600_000, by: .user, principal: cy)
        #expect(usage.partial)
        #expect(usage.rows.isEmpty && usage.total.gpuSeconds == 0)
    }

    @Test func usageCountsGPUTimeInsideThePeriodRolledUpTheAccountTree() async throws {
        let (dir, clock) = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (core, a, _) = try await Self.scenario(dir, clock: clock)
        let whole = try await core.usage(
            sinceMillis: Self.base, untilMillis: Self.base + 3_600_000, by: .account, principal: root)
        #expect(!whole.partial)
        #expect(whole.totalGPUs == 48)
        let ivi = try #require(whole.rows.first { $0.name == "ivi" })
        #expect(ivi.gpuSeconds == 7200)
        #expect(ivi.jobs == 1)
        #expect(ivi.meanWaitSeconds == 0)
        #expect(ivi.share == 7200.0 / (48 * 3600))
        // ivi-llm follows ivi, one deeper, with nothing used (its job never ran).
        let names = whole.rows.map(\.name)
        let at = try #require(names.firstIndex(of: "ivi"))
        #expect(names[at + 1] == "ivi-llm")
        #expect(whole.rows[at + 1].depth == 1 && whole.rows[at + 1].parent == "ivi")
        #expect(whole.rows[at + 1].gpuSeconds == 0 && whole.rows[at + 1].jobs == 0)
        #expect(Set(names) == Set(try Self.spec().accounts.map(\.name)))
        #expect(whole.total.gpuSeconds == 7200)
        // A window across the requeue: 2 GPUs × (100.5 - 50) s of the first run, × (150 - 100.5) s of the second.
        let part = try await core.usage(
            sinceMillis: Self.base + 50_000, untilMillis: Self.base + 150_000, by: .user, principal: root)
        #expect(part.rows.map(\.name) == ["ana"])
        #expect(part.rows[0].gpuSeconds == 2 * 50.5 + 2 * 49.5)
        #expect(part.rows[0].jobs == 1)
        // No first run started in it: no wait to tell.
        #expect(part.rows[0].meanWaitSeconds == nil)
        let models = try await core.usage(
            sinceMillis: Self.base, untilMillis: Self.base + 3_600_000, by: .gpuModel, principal: root)
        #expect(models.rows.map(\.name) == ["H200"])
        // A running job counts up to now: a new 8-GPU job, 1,000 s later.
        clock.set(Self.base + 4_000_000)
        let c = try await core.submit(Self.job(8, account: "etf"), by: bo)
        #expect(c.state == .running && c.id > a)
        clock.set(Self.base + 4_001_000)
        let now = try await core.usage(
            sinceMillis: Self.base + 3_900_000, untilMillis: Self.base + 90_000_000, by: .account, principal: root)
        #expect(now.untilMillis == Self.base + 4_001_000)
        #expect(now.rows.first { $0.name == "etf" }?.gpuSeconds == 8)
        #expect(now.rows.first { $0.name == "etf" }?.meanWaitSeconds == 0)
        await #expect(throws: ControllerError.self) {
            _ = try await core.usage(
                sinceMillis: Self.base + 5_000_000, untilMillis: Self.base + 6_000_000, by: .account, principal: root)
        }
    }

    @Test func sharesAreTheNumbersThePriorityReadsAndSurviveARestartWithEveryRun() async throws {
        let (dir, clock) = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (core, _, _) = try await Self.scenario(dir, clock: clock)
        // A pending job of ivi: its priority's fair-share term is the weight × the account's factor.
        let blocker = try await core.submit(Self.job(48, account: "etf"), by: bo)
        #expect(blocker.state == .running)
        let waiting = try await core.submit(Self.job(1, account: "ivi"), by: ana)
        let priority = try #require(try await core.job(waiting.id, by: ana).priority)
        let shares = try await core.shares(by: ana)
        let ivi = try #require(shares.accounts.first { $0.account == "ivi" })
        #expect(shares.policy == "fairshare")
        #expect(abs(priority.fairShare - 10_000 * ivi.factor) < 1e-9)
        #expect(ivi.gpusInUse == 0)
        #expect(ivi.depth == 0 && ivi.rawShare == 40)
        let llm = try #require(shares.accounts.first { $0.account == "ivi-llm" })
        #expect(llm.depth == 1 && llm.parent == "ivi")
        // Normalised: ivi's part of the institutes' shares, and ivi-llm all of ivi's (its only project).
        let institutes = try Self.spec().accounts.filter { $0.parent == nil }.reduce(0) { $0 + $1.share }
        #expect(abs(ivi.share - 40 / institutes) < 1e-12)
        #expect(abs(llm.share - ivi.share) < 1e-12)
        #expect(shares.accounts.first { $0.account == "etf" }?.gpusInUse == 48)
        // ivi's decayed usage: 2 GPUs held for 3,700 s (to the release, when the controller applied the agent's
        // report), decayed a little (half-life 7 days: under 0.5 % in an hour).
        #expect(ivi.decayedGPUSeconds > 7400 * 0.995 && ivi.decayedGPUSeconds < 7400)
        // After a restart the usage is rebuilt from every run: the first run's 201 GPU-seconds too.
        let restarted = try Self.core(dir, clock: clock, spec: try Self.spec())
        let again = try #require(try await restarted.shares(by: ana).accounts.first { $0.account == "ivi" })
        #expect(abs(again.decayedGPUSeconds - ivi.decayedGPUSeconds) / ivi.decayedGPUSeconds < 0.005)
    }

    @Test func theCountersAddEveryEndedRunsGPUSecondsAndEachEndedJob() async throws {
        let (dir, clock) = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (core, _, _) = try await Self.scenario(dir, clock: clock)
        let text = try await core.metricsText()
        let lines = text.split(separator: "\n").map(String.init)
        func value(_ prefix: String) -> Double? {
            lines.first { $0.hasPrefix(prefix + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        #expect(value("raspored_account_gpu_seconds_total{account=\"ivi\"}") == 7200)
        #expect(value("raspored_account_jobs_ended_total{account=\"ivi\",state=\"completed\"}") == 1)
        #expect(value("raspored_account_jobs_ended_total{account=\"ivi-llm\",state=\"cancelled\"}") == 1)
        #expect(value("raspored_account_gpus_allocated{account=\"ivi\"}") == 0)
        #expect(value("raspored_account_gpus_allocated{account=\"etf\"}") == 0)
    }

    @Test func thePurgeDeletesOldEndedJobsWithTheirRunsAndEnvironments() async throws {
        let (dir, clock) = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (core, a, b) = try await Self.scenario(dir, clock: clock)
        let store = core.store
        clock.set(Self.base + 4_000_000)
        let live = try await core.submit(Self.job(1, account: "etf"), by: bo)
        await core.durable()
        // b ended at 300 s, a at 3,600 s: a cutoff between them deletes b only.
        #expect(try store.purgeHistory(endedBeforeMillis: Self.base + 1_000_000) == 1)
        #expect(try store.job(b) == nil)
        #expect(try store.job(a) != nil)
        #expect(try store.purgeHistory(endedBeforeMillis: Self.base + 9_000_000, batch: 10) == 1)
        #expect(try store.job(a) == nil)
        #expect(try store.job(live.id)?.state == .running)
        let left = try await store.pool.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job_runs") ?? -1,
                try Int64.fetchAll(db, sql: "SELECT job_id FROM job_environments")
            )
        }
        #expect(left.0 == 0)
        #expect(!left.1.contains(a) && !left.1.contains(b))
        #expect(try store.purgeHistory(endedBeforeMillis: Self.base + 9_000_000) == 0)
    }

    @Test func aStoreWrittenBeforeRunsWereRecordedGetsEachEndedJobsLastRun() async throws {
        let (dir, clock) = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (core, a, _) = try await Self.scenario(dir, clock: clock)
        await core.durable()
        // Back to the schema before v10: no job_runs table, the migrations from v10 on not applied.
        try await core.store.pool.write { db in
            try db.execute(sql: "DROP TABLE job_runs; DROP INDEX jobs_by_end")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier LIKE 'v10:%' OR identifier LIKE 'v11:%'")
        }
        try core.store.close()
        let reopened = try StateStore(directory: dir, create: false)
        let runs = try reopened.runs(sinceMillis: 0, untilMillis: .max)
        // The job's last run, from its row: the run after the requeue, whole.
        #expect(runs.count == 1)
        #expect(runs[0].jobId == a && runs[0].run == 1 && runs[0].outcome == .completed)
        #expect(runs[0].startMillis == Self.base + 100_500 && runs[0].endMillis == Self.base + 3_600_000)
        #expect(runs[0].gpus == 2 && runs[0].cpuSeconds == 1800)
    }
}
