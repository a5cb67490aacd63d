import Foundation
import Hummingbird
import HummingbirdTesting
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// The HTTP API over real HTTP on loopback (HummingbirdTesting `.live`).
@Suite struct APITests {
    @Test func submitPlacesTheJobWhereTheEngineChooses() async throws {
        try await withLiveAPI { api in
            let r = try await api.call(.post, "/v1/jobs", body: jobBody(gpus: 2, #", "name": "bert""#))
            #expect(r.status == .created)
            let job = try r.decode(JobView.self)
            #expect(job.state == .running)
            #expect(job.name == "bert")
            #expect(job.user == "ana")
            let engine = ClusterState(spec: try platformSpec())
            let decision = try engine.place(ResourceRequest(gpus: 2, account: "ivi")).get()
            #expect(job.allocation == engine.spec.view(of: decision.allocation))
            #expect(job.allocation?.nodes.map(\.node) == ["dgx01"])
            let shown = try await api.call(.get, "/v1/jobs/\(job.id)")
            #expect(shown.status == .ok)
            #expect(try shown.decode(JobView.self) == job)
        }
    }

    @Test func aSubmitRequestEncodedByAClientIsReadBackExactly() async throws {
        try await withLiveAPI { api in
            let sent = SubmitRequest(
                request: ResourceRequest(
                    gpus: 4, memory: .gibibytes(200), partition: "interactive", account: "etf", time: .minutes(90)),
                name: "sweep", command: ["bash", "-c", "echo hi"], workdir: "/home/ana", output: "%j.out",
                noRequeue: true)
            let r = try await api.call(.post, "/v1/jobs", body: try LiveAPI.json(sent))
            #expect(r.status == .created)
            let job = try r.decode(JobView.self)
            #expect(job.request == sent.request)
            #expect(job.timeLimit == 5400)
            #expect(job.noRequeue)
            #expect(job.output == "%j.out")
            #expect(job.partition == "interactive")
            #expect(job.account == "etf")
            #expect(job.command == sent.command)
        }
    }

    @Test(arguments: [
        (jobBody(gpus: 65), "65 GPUs requested; the cluster has 48"),
        (jobBody(gpus: 1, #", "partition": "debug""#), "unknown partition 'debug' (partitions: gpu, interactive)"),
        (jobBody(gpus: 1, #", "memory": "-4GiB""#), "line 1: memory: a size must not be negative ('-4GiB')"),
        (jobBody(gpus: 1, #", "gpu": 2"#), "line 1: gpu: unknown field 'gpu' (did you mean 'gpus'?)"),
        (#"{"gpus": 2, "command": ["x"],"#, "malformed JSON"),
        ("", "the request body is empty; expected a JSON object"),
        (#"{"gpus": 1, "account": "ivi", "workdir": "/home/ana"}"#, "missing 'command'"),
    ])
    func badSubmissionsAreRefusedPrecisely(body: String, message: String) async throws {
        try await withLiveAPI { api in
            let r = try await api.call(.post, "/v1/jobs", body: body)
            #expect(r.status == .badRequest)
            #expect(r.error?.contains(message) == true, "\(r.error ?? String(buffer: r.body))")
            #expect(try await api.call(.get, "/healthz", as: nil).status == .ok)
        }
    }

    /// One 1-GPU job of ana's, running.
    static func anasJob(_ api: LiveAPI) async throws -> JobView {
        try await api.call(.post, "/v1/jobs", body: jobBody(gpus: 1)).decode(JobView.self)
    }

    @Test func aRequestWithoutAKnownTokenIsUnauthorized() async throws {
        try await withLiveAPI { api in
            let none = try await api.call(.get, "/v1/jobs", as: nil)
            #expect(none.status == .unauthorized)
            #expect(none.error?.contains("bearer token is required") == true)
            #expect(try await api.call(.get, "/v1/jobs", as: "rsp_not-a-token").status == .unauthorized)
        }
    }

    @Test func aUserCannotCancelSeeOrListAnotherUsersJob() async throws {
        try await withLiveAPI { api in
            let job = try await Self.anasJob(api)
            let other = try await api.call(.post, "/v1/jobs/\(job.id)/cancel", as: "bo")
            #expect(other.status == .forbidden)
            #expect(other.error == "job \(job.id) belongs to ana")
            #expect(try await api.call(.get, "/v1/jobs/\(job.id)", as: "bo").status == .forbidden)
            #expect(try await api.call(.get, "/v1/jobs", as: "bo").decode(JobList.self).jobs.isEmpty)
        }
    }

    @Test func anAdminListsEveryonesJobsByState() async throws {
        try await withLiveAPI { api in
            _ = try await Self.anasJob(api)
            #expect(
                try await api.call(.get, "/v1/jobs?state=running", as: "admin").decode(JobList.self).jobs.count == 1)
            #expect(try await api.call(.get, "/v1/jobs?state=pending", as: "admin").decode(JobList.self).jobs.isEmpty)
        }
    }

    @Test func aListByAnUnknownStateIsABadRequest() async throws {
        try await withLiveAPI { api in
            let r = try await api.call(.get, "/v1/jobs?state=done")
            #expect(r.status == .badRequest)
        }
    }

    @Test func aUserMayNeitherDrainANodeNorCreateTokens() async throws {
        try await withLiveAPI { api in
            let drain = try await api.call(.post, "/v1/nodes/dgx01/drain", body: #"{"reason": "x"}"#)
            #expect(drain.status == .forbidden)
            #expect(try await api.call(.post, "/v1/tokens", body: #"{"user": "eve"}"#).status == .forbidden)
        }
    }

    @Test func anAdminCancelsAnyJobAndASecondCancelIsAConflict() async throws {
        try await withLiveAPI { api in
            let job = try await Self.anasJob(api)
            let cancelled = try await api.call(.post, "/v1/jobs/\(job.id)/cancel", as: "admin")
            let cancelledJob = try cancelled.decode(JobView.self)
            #expect(cancelled.status == .ok)
            #expect(cancelledJob.stopRequested == "cancel")
            let twice = try await api.call(.post, "/v1/jobs/\(job.id)/cancel")
            #expect(twice.status == .conflict)
            #expect(twice.error == "job \(job.id) is already being cancelled; it cannot be cancelled")
        }
    }

    @Test func anUnknownJobOrPathIsNotFound() async throws {
        try await withLiveAPI { api in
            let job = try await api.call(.get, "/v1/jobs/404")
            #expect(job.status == .notFound)
            #expect(try await api.call(.get, "/v1/nowhere").status == .notFound)
        }
    }

    @Test func adminsCreateTokensThatWork() async throws {
        try await withLiveAPI { api in
            let r = try await api.call(.post, "/v1/tokens", as: "admin", body: #"{"user": "carol"}"#)
            #expect(r.status == .created)
            let token = try r.decode(TokenView.self)
            #expect(token.user == "carol")
            #expect(token.role == "user")
            #expect(token.secret.hasPrefix("rsp_"))
            let job = try await api.call(.post, "/v1/jobs", as: token.secret, body: jobBody(gpus: 1))
            #expect(try job.decode(JobView.self).user == "carol")
        }
    }

    @Test func aTokenRequestWithoutAUserIsRefused() async throws {
        try await withLiveAPI { api in
            let missing = try await api.call(.post, "/v1/tokens", as: "admin", body: #"{"admin": true}"#)
            #expect(missing.status == .badRequest)
            #expect(missing.error == "missing 'user'")
        }
    }

    /// dgx01 drained by the admin while ana's 1-GPU job runs there; returns the drain's response.
    static func drainDgx01UnderAJob(_ api: LiveAPI) async throws -> TestResponse {
        _ = try await anasJob(api)
        return try await api.call(.post, "/v1/nodes/dgx01/drain", as: "admin", body: #"{"reason": "ECC errors"}"#)
    }

    /// dgx01 drained under a job, the other five nodes filled by 8-GPU jobs (returned: the nodes they went to),
    /// and one more 1-GPU job (returned), which waits.
    static func drainDgx01AndFillTheRest(_ api: LiveAPI) async throws -> (placed: [String], waiting: JobView) {
        _ = try await drainDgx01UnderAJob(api)
        var placed: [String] = []
        for _ in 0..<5 {
            let j = try await api.call(.post, "/v1/jobs", body: jobBody(gpus: 8)).decode(JobView.self)
            placed += j.allocation?.nodes.map(\.node) ?? []
        }
        let waiting = try await api.call(.post, "/v1/jobs", body: jobBody(gpus: 1)).decode(JobView.self)
        return (placed, waiting)
    }

    @Test func aDrainedNodeSaysWhyWhoAndWhenAndKeepsItsRunningJob() async throws {
        try await withLiveAPI { api in
            let d = try await Self.drainDgx01UnderAJob(api)
            #expect(d.status == .ok)
            let node = try d.decode(NodeView.self)
            #expect(node.state == .draining)
            #expect(node.reason == "ECC errors")
            #expect(node.actor == "admin")
            #expect(node.since == t0)
            #expect(node.gpus == [NUMAGPUs(numa: 0, used: 1, free: 3), NUMAGPUs(numa: 1, used: 0, free: 4)])
        }
    }

    @Test func drainingAnUnknownNodeOrWithoutAReasonIsRefused() async throws {
        try await withLiveAPI { api in
            let unknown = try await api.call(.post, "/v1/nodes/dgx09/drain", as: "admin", body: #"{"reason": "x"}"#)
            #expect(unknown.status == .notFound)
            #expect(unknown.error == "unknown node 'dgx09' (nodes: dgx01…dgx06)")
            let noReason = try await api.call(.post, "/v1/nodes/dgx02/drain", as: "admin", body: "{}")
            #expect(noReason.status == .badRequest)
            #expect(noReason.error == "missing 'reason'")
        }
    }

    @Test func aDrainedNodeTakesNoNewJobsAndAFullClusterSaysWhy() async throws {
        try await withLiveAPI { api in
            let (placed, waiting) = try await Self.drainDgx01AndFillTheRest(api)
            #expect(!placed.contains("dgx01"))
            #expect(placed.count == 5)
            #expect(waiting.state == .pending)
            #expect(waiting.pendingReason?.isEmpty == false)
            let nodes = try await api.call(.get, "/v1/nodes").decode(NodeList.self).nodes
            #expect(nodes.map(\.name) == ["dgx01", "dgx02", "dgx03", "dgx04", "dgx05", "dgx06"])
            #expect(nodes[0].freeShapes == ["1": 0, "2": 0, "4": 0, "8": 0])
        }
    }

    @Test func aResumedNodeIsUpAndTakesTheWaitingJob() async throws {
        try await withLiveAPI { api in
            let (_, waiting) = try await Self.drainDgx01AndFillTheRest(api)
            let resumed = try await api.call(.post, "/v1/nodes/dgx01/resume", as: "admin")
            #expect(try resumed.decode(NodeView.self).state == .up)
            #expect(try await api.call(.get, "/v1/jobs/\(waiting.id)").decode(JobView.self).state == .running)
        }
    }
}
