import Foundation
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// The controller under strict-fifo (head-of-line FIFO): the jobs behind the first job in line that cannot
/// start wait behind it, with a reason naming it, in estimates and dry runs too.
@Suite struct StrictFIFOControllerTests {
    static func strictFIFO(gpuLimit etf: Int? = nil) throws -> ClusterSpec {
        var s = try platformSpec()
        s.scheduling.policy = .strictFIFO
        if let etf, let i = s.accounts.firstIndex(where: { $0.name == "etf" }) {
            s.accounts[i].limits = AccountLimits(gpus: etf)
        }
        return s
    }

    @Test func aJobThatFitsWaitsBehindTheFirstInLineUntilItLeaves() async throws {
        try await withClockedCore(spec: try Self.strictFIFO()) { core, _, _ in
            // dgx01–05 and half of dgx06 busy for an hour: 4 GPUs free.
            var running: [JobView] = []
            for gpus in [8, 8, 8, 8, 8, 4] { running.append(try await core.submit(job(gpus: gpus), by: ana)) }
            #expect(running.allSatisfy { $0.state == .running })
            let big = try await core.submit(job(gpus: 48), by: ana)
            let small = try await core.submit(job(gpus: 2), by: bo)
            #expect(big.state == .pending)
            #expect(small.state == .pending)
            let behind = "waits behind job \(big.id) (strict-fifo: nothing passes the first job in line)"
            #expect(small.pendingReason == behind)
            // The first in line has the engine's own reason.
            let bigReason = try #require(try await core.job(big.id, by: ana).pendingReason)
            #expect(!bigReason.contains("waits behind"))
            // Every running job ends by t0 + 1 h; the big job then holds all 48 GPUs for its hour.
            #expect(try await core.job(big.id, by: ana).estimatedStart == t0 + 3600)
            #expect(try await core.job(small.id, by: bo).estimatedStart == t0 + 7200)
            let dry = try await core.dryRun(job(gpus: 1), by: bo)
            #expect(dry.allocation == nil)
            #expect(dry.reason == behind)

            // A node frees (a full pass): 12 GPUs are still too few for the big job, and the small one waits.
            try await core.end(running[0].id)
            #expect(try await core.job(small.id, by: bo).state == .pending)
            #expect(try await core.job(small.id, by: bo).pendingReason == behind)

            // The big job is cancelled: the small one starts at once.
            _ = try await core.cancel(big.id, by: ana)
            #expect(try await core.job(small.id, by: bo).state == .running)
        }
    }

    @Test func aJobItsAccountsLimitKeepsWaitingHoldsTheLine() async throws {
        try await withClockedCore(spec: try Self.strictFIFO(gpuLimit: 8)) { core, _, _ in
            let first = try await core.submit(job(gpus: 8, account: "etf"), by: ana)
            #expect(first.state == .running)
            // etf is at its limit: its next job waits for it, and ivi's job behind it waits too, with 40 GPUs free.
            let limited = try await core.submit(job(gpus: 1, account: "etf"), by: ana)
            let other = try await core.submit(job(gpus: 1), by: bo)
            #expect(limited.state == .pending)
            #expect(other.state == .pending)
            #expect(other.pendingReason?.hasPrefix("waits behind job \(limited.id)") == true)
            // etf's running job ends: both start.
            try await core.end(first.id)
            #expect(try await core.job(limited.id, by: ana).state == .running)
            #expect(try await core.job(other.id, by: bo).state == .running)
        }
    }
}
