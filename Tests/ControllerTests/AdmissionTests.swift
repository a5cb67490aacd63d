import Foundation
import Testing

@testable import Controller
@testable import Scheduler

/// cluster.yaml's admission limits: no user can fill the controller with jobs or submissions.
@Suite struct AdmissionTests {
    func withLimits<T>(
        _ limits: AdmissionLimits, _ body: (ControllerCore) async throws -> T
    ) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("raspored-adm-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var spec = try platformSpec()
        spec.admission = limits
        let core = try ControllerCore(
            spec: spec, store: try StateStore(directory: dir, create: true), settings: noAgents, logger: quietLogger,
            clock: { t0 })
        return try await body(core)
    }

    @Test func aUserMayHoldAtMostMaxJobsCountingArrayTasks() async throws {
        try await withLimits(AdmissionLimits(maxJobsPerUser: 6, submissionsPerMinute: 1_000)) { core in
            // bo fills the cluster, so ana's jobs pend (and a cancel ends one at once).
            for _ in 0..<6 { _ = try await core.submit(submit(gpus: 8), by: bo) }
            var array = submit(gpus: 1)
            array.array = try ArraySpec(parsing: "0-3")
            _ = try await core.submit(array, by: ana)
            _ = try await core.submit(submit(gpus: 1), by: ana)
            do {
                var two = submit(gpus: 1)
                two.array = try ArraySpec(parsing: "0-1")
                _ = try await core.submit(two, by: ana)
                Issue.record("a seventh job was accepted")
            } catch let error as ControllerError {
                #expect(error.kind == .tooManyRequests(retryAfter: 60))
                #expect(
                    error.message
                        == "ana has 5 jobs pending or running and may have at most 6 (security.maxJobsPerUser); this submission would add 2"
                )
            }
            // One more fits; another user is not held to ana's count; an ended job frees its place.
            _ = try await core.submit(submit(gpus: 1), by: ana)
            _ = try await core.cancel(.job(7), by: ana)
            _ = try await core.submit(submit(gpus: 1), by: ana)
            #expect(try await core.jobs(by: root).count == 6 + 7)
        }
    }

    @Test func submissionsPastTheRateAreRefusedWithWhenToRetry() async throws {
        try await withLimits(AdmissionLimits(maxJobsPerUser: 100, submissionsPerMinute: 3)) { core in
            for _ in 0..<3 { _ = try await core.submit(submit(gpus: 1), by: ana) }
            do {
                _ = try await core.submit(submit(gpus: 1), by: ana)
                Issue.record("a fourth submission within a minute was accepted")
            } catch let error as ControllerError {
                // Three a minute: one more at most 20 s later (sooner as the test's own time passes;
                // `theBucketRefillsAtTheRate` checks the arithmetic on a fixed clock).
                guard case let .tooManyRequests(wait) = error.kind else {
                    Issue.record("refused as \(error.kind), not 429")
                    return
                }
                #expect((1...20).contains(wait))
                #expect(
                    error.message
                        == "ana has made more than 3 submissions in a minute (security.submissionsPerMinute); try again in \(wait)s"
                )
                #expect(APIError(error).status == .tooManyRequests)
                #expect(APIError(error).retryAfter == wait)
            }
            // Admins are not rate limited; other users have buckets of their own.
            for _ in 0..<5 { _ = try await core.submit(submit(gpus: 1), by: root) }
            _ = try await core.submit(submit(gpus: 1), by: bo)
        }
    }

    @Test func theBucketRefillsAtTheRate() {
        var rate = SubmissionRate()
        let t = ContinuousClock.now
        #expect(rate.take("ana", perMinute: 2, now: t) == nil)
        #expect(rate.take("ana", perMinute: 2, now: t) == nil)
        #expect(rate.take("ana", perMinute: 2, now: t) == 30)
        #expect(rate.take("ana", perMinute: 2, now: t + .seconds(29)) == 1)
        #expect(rate.take("ana", perMinute: 2, now: t + .seconds(31)) == nil)
    }

    @Test func anArraysTasksAreMadeAtOnceAsEachAlone() throws {
        let spec = try ArraySpec(parsing: "0-9998:2%4")
        let all = spec.tasks(arrayJobId: 42)
        #expect(all.count == 5_000)
        #expect(all == spec.indices.map { spec.task($0, arrayJobId: 42) })
    }

    @Test func limitsAreReadFromClusterYAML() throws {
        let yaml = try String(
            contentsOfFile: #filePath.replacingOccurrences(
                of: "Tests/ControllerTests/AdmissionTests.swift", with: "cluster.yaml"), encoding: .utf8)
        let spec = try ClusterSpec.parse(yaml: yaml + "\nsecurity:\n  maxJobsPerUser: 50\n  submissionsPerMinute: 10\n")
        #expect(spec.admission == AdmissionLimits(maxJobsPerUser: 50, submissionsPerMinute: 10))
        #expect(throws: ConfigError.self) {
            try ClusterSpec.parse(yaml: yaml + "\nsecurity:\n  maxJobsPerUser: 0\n")
        }
    }
}
