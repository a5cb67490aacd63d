import Foundation
import Hummingbird
import HummingbirdTesting
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// Arrays and dependencies over the HTTP API: the `array` and `dependency` fields, `42_7` in paths,
/// `?array=`, and an array's cancel answering with every task.
@Suite struct ArrayAPITests {
    /// ana's array 0-7%6 of 8-GPU tasks (job 1): six run, two wait for the cap.
    static func submitArray(_ api: LiveAPI) async throws -> TestResponse {
        try await api.call(.post, "/v1/jobs", body: jobBody(gpus: 8, #", "array": "0-7%6""#))
    }

    @Test func anArraySubmittedOverHTTPAnswersWithItsFirstTask() async throws {
        try await withLiveAPI { api in
            let r = try await Self.submitArray(api)
            #expect(r.status == .created)
            let first = try r.decode(JobView.self)
            #expect(first.displayId == "1_0")
            #expect(first.array == "0-7%6")
            #expect(first.arrayTaskCount == 8)
        }
    }

    @Test func aTaskIsShownByItsArrayIdAndAWrongOneIsRefused() async throws {
        try await withLiveAPI { api in
            _ = try await Self.submitArray(api)
            let task = try await api.call(.get, "/v1/jobs/1_7")
            #expect(task.status == .ok)
            let seventh = try task.decode(JobView.self)
            #expect(seventh.id == 8)
            #expect(seventh.arrayTaskId == 7)
            #expect(seventh.state == .pending)
            #expect(seventh.pendingReason == "array 1 runs at most 6 tasks at once (6 running)")
            #expect(try await api.call(.get, "/v1/jobs/1_8").status == .notFound)
            let bad = try await api.call(.get, "/v1/jobs/1_x")
            #expect(bad.status == .badRequest)
            #expect(bad.error?.contains("(42_7), not '1_x'") == true)
        }
    }

    @Test func aDependencyIsKeptAndOneOnAnUnknownJobIsRefused() async throws {
        try await withLiveAPI { api in
            _ = try await Self.submitArray(api)
            let dependent = try await api.call(
                .post, "/v1/jobs", body: jobBody(gpus: 1, #", "dependency": "afterany:1""#))
            #expect(try dependent.decode(JobView.self).dependency == "afterany:1")
            let refused = try await api.call(
                .post, "/v1/jobs", body: jobBody(gpus: 1, #", "dependency": "afterok:77""#))
            #expect(refused.status == .badRequest)
            #expect(refused.error == "dependency afterok:77: no job 77")
        }
    }

    @Test func anArrayThatRunsBackwardsIsRefused() async throws {
        try await withLiveAPI { api in
            let malformed = try await api.call(.post, "/v1/jobs", body: jobBody(gpus: 1, #", "array": "9-1""#))
            #expect(malformed.status == .badRequest)
            #expect(malformed.error?.hasPrefix("line 1: array: '9-1' runs backwards") == true)
        }
    }

    @Test func aTasksOutputIsReadByItsArrayId() async throws {
        try await withLiveAPI { api in
            _ = try await Self.submitArray(api)
            let output = try await api.call(.get, "/v1/jobs/1_0/output")
            #expect(output.status == .ok)
            #expect(output.headers.first { $0.name.canonicalName == "x-raspored-job-state" }?.value == "running")
            #expect(try await api.call(.get, "/v1/jobs/1_9/output").status == .notFound)
        }
    }

    @Test func anArraysTasksAreListedByArrayToTheirOwnerOnly() async throws {
        try await withLiveAPI { api in
            _ = try await Self.submitArray(api)
            let listed = try await api.call(.get, "/v1/jobs?array=1").decode(JobList.self)
            #expect(listed.jobs.map(\.displayId) == (0...7).map { "1_\($0)" })
            #expect(try await api.call(.get, "/v1/jobs?array=1", as: "bo").decode(JobList.self).jobs.isEmpty)
            #expect(try await api.call(.get, "/v1/jobs?array=x").status == .badRequest)
        }
    }

    @Test func aTaskOrTheWholeArrayIsCancelledAndTheArrayAnswersWithEveryTask() async throws {
        try await withLiveAPI { api in
            _ = try await Self.submitArray(api)
            let one = try await api.call(.post, "/v1/jobs/1_6/cancel")
            #expect(one.status == .ok)
            #expect(try one.decode(JobView.self).state == .cancelled)
            let all = try await api.call(.post, "/v1/jobs/1/cancel")
            #expect(all.status == .ok)
            let tasks = try all.decode(JobList.self).jobs
            #expect(tasks.count == 8)
            #expect(tasks.map(\.state) == Array(repeating: .running, count: 6) + [.cancelled, .cancelled])
            #expect(tasks.prefix(6).allSatisfy { $0.stopRequested == "cancel" })
        }
    }
}
