import Foundation
import GRDB
import RasporedAPI
import Synchronization
import Testing

@testable import Controller
@testable import Scheduler

/// A clock in milliseconds that tests move by hand.
final class MillisClock: Sendable {
    private let value: Mutex<Int64>

    init(_ millis: Int64) { value = Mutex(millis) }
    func set(_ millis: Int64) { value.withLock { $0 = millis } }
    /// The clock as the core reads it.
    var read: @Sendable () -> Int64 { { [self] in self.value.withLock { $0 } } }
}

/// A job's submit, start, end and release, recorded to the millisecond.
@Suite struct JobTimesTests {
    @Test func aJobsTimesAreRecordedToTheMillisecondAndSurviveARestart() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("raspored-ms-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = t0 * 1000
        let clock = MillisClock(base + 123)
        let recorded: JobView
        do {
            let store = try StateStore(directory: dir, create: true)
            let core = try ControllerCore(
                spec: try platformSpec(), store: store, settings: noAgents, logger: quietLogger,
                millisClock: clock.read)
            let submitted = try await core.submit(submit(gpus: 2), by: ana)
            #expect(submitted.state == .running)
            #expect(submitted.submitMillis == base + 123)
            #expect(submitted.startMillis == base + 123)
            #expect(submitted.submitTime == t0)
            #expect(submitted.startTime == t0)
            #expect(submitted.endMillis == nil)
            #expect(submitted.releasedMillis == nil)
            // The agent says the run ended 60.5678 s after t0; its report is applied at t0 + 61.999 s.
            clock.set(base + 61_999)
            let node = try #require(submitted.allocation?.nodes.first?.node)
            await core.apply(
                [
                    RunStatus(
                        runId: RunId.make(job: submitted.id, attempt: 0), phase: .completed, exitCode: 0,
                        endedAt: Double(t0) + 60.5678)
                ], from: node)
            recorded = try await core.job(submitted.id, by: ana)
            #expect(recorded.state == .completed)
            #expect(recorded.endMillis == base + 60_567)
            #expect(recorded.endTime == t0 + 60)
            #expect(recorded.releasedMillis == base + 61_999)
            try store.close()
        }
        let again = try ControllerCore(
            spec: try platformSpec(), store: try StateStore(directory: dir, create: false), settings: noAgents,
            logger: quietLogger, millisClock: clock.read)
        let reread = try await again.job(recorded.id, by: ana)
        #expect(reread.submitMillis == base + 123)
        #expect(reread.startMillis == base + 123)
        #expect(reread.endMillis == base + 60_567)
        #expect(reread.releasedMillis == base + 61_999)
        #expect(reread == recorded)
    }

    @Test func aCancelledPendingJobHasNoStartAndNoRelease() async throws {
        try await withCore { core, _, _ in
            // Six 8-GPU jobs fill the cluster; the seventh waits and is cancelled.
            for _ in 1...6 { _ = try await core.submit(submit(gpus: 8), by: ana) }
            let waiting = try await core.submit(submit(gpus: 8), by: ana)
            #expect(waiting.state == .pending)
            let cancelled = try await core.cancel(waiting.id, by: ana)
            #expect(cancelled.state == .cancelled)
            #expect(cancelled.startMillis == nil)
            #expect(cancelled.releasedMillis == nil)
            #expect(cancelled.endMillis == t0 * 1000)
            #expect(cancelled.submitMillis == t0 * 1000)
        }
    }

    /// The seconds clock tests pass: each second read as its first millisecond.
    @Test func aSecondsClockIsReadAsWholeSeconds() async throws {
        try await withCore(clock: { t0 + 7 }) { core, _, _ in
            let job = try await core.submit(submit(gpus: 1), by: ana)
            #expect(job.submitMillis == (t0 + 7) * 1000)
            #expect(job.startMillis == (t0 + 7) * 1000)
        }
    }

    @Test(arguments: [
        (1_700_000_123.4567, 1_700_000_123_456 as Int64), (1_700_000_123.0, 1_700_000_123_000),
        (1_700_000_100.999, 1_700_000_100_999),
    ])
    func anAgentsEndIsKeptToTheMillisecondAndItsSecondsAreTheFloor(reported: Double, millis: Int64) {
        let end = ControllerCore.endTime(
            reported: reported, started: 1_700_000_100_500, now: Timestamp(millis: 1_700_000_200_000))
        #expect(end.millis == millis)
        #expect(end.seconds == Int64(reported.rounded(.down)))
    }

    @Test func anEndBeforeTheStartOrAfterNowIsNow() {
        let now = Timestamp(millis: 1_700_000_200_000)
        #expect(ControllerCore.endTime(reported: 1_700_000_100.4, started: 1_700_000_100_500, now: now) == now)
        #expect(ControllerCore.endTime(reported: 1_700_000_200.001, started: 1_700_000_100_500, now: now) == now)
        #expect(ControllerCore.endTime(reported: .nan, started: nil, now: now) == now)
    }

    @Test func aRowFromBeforeMillisecondsGetsItsSecondsTimesAThousand() async throws {
        let dir = try await oldStateDirectory(
            upTo: "v7: the audit log",
            more: """
                INSERT INTO jobs (name, user, account, partition, request, time_limit, state, submit_time, start_time,
                    end_time, exit_code, command, workdir)
                VALUES ('ran', 'ana', 'ivi', 'gpu', '{"gpus":1,"exclusive":false,"sameNuma":false}', 3600,
                    'completed', \(t0), \(t0 + 5), \(t0 + 65), 0, '["true"]', '/home/ana');
                """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try StateStore(directory: dir, create: false)
        let pending = try #require(try store.job(1))
        #expect(pending.submitMillis == t0 * 1000)
        #expect(pending.startMillis == nil)
        #expect(pending.endMillis == nil)
        let ended = try #require(try store.job(2))
        #expect(ended.name == "ran")
        #expect(ended.state == .completed)
        #expect(ended.submitMillis == t0 * 1000)
        #expect(ended.startMillis == (t0 + 5) * 1000)
        #expect(ended.endMillis == (t0 + 65) * 1000)
        #expect(ended.releasedMillis == nil)
        #expect(ended.endTime == t0 + 65)
        // Written again, a row keeps its seconds columns as the floors of its milliseconds.
        var later = ended
        later.endMillis = (t0 + 66) * 1000 + 999
        try store.update(later)
        let seconds = try await store.pool.read {
            try Int64.fetchOne($0, sql: "SELECT end_time FROM jobs WHERE id = 2")
        }
        #expect(seconds == t0 + 66)
        try store.close()
    }
}
