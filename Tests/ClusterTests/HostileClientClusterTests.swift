import Foundation
import RasporedAPI
import Scheduler
import Testing

/// Issue 28's hostile client, against the real schedulerd and agents: every input that once stopped the
/// controller is refused and the controller stays up with every accepted job; one user's flood is held to
/// its limits while other users are served and no node is declared down.
@Suite(.serialized) struct HostileClientClusterTests {
    func token(_ c: LocalCluster, _ user: String) async throws -> String {
        let t: TokenView = try await c.post("/v1/tokens", TokenRequest(user: user), token: c.adminToken)
        return t.secret
    }

    @Test func inputsThatOnceStoppedTheControllerAreRefusedAndItStaysUp() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let ana = try await token(c, "ana")
        let kept = try await c.submit(c.job(c.sh("sleep 300"), gpus: 1), token: ana)
        try await c.waitFor("the job to run", timeout: 20) { try await c.job(kept.id).state == .running }

        let job = #"{"account": "ivi", "command": ["true"], "workdir": "/tmp""#
        let refusals: [(String, String, String)] = [
            ("/v1/jobs", job + #", "gpus": 1, "time": 9223372036854775807}"#, ana),
            ("/v1/jobs", job + #", "gpus": 1, "time": "999999999999999d"}"#, ana),
            ("/v1/jobs", job + #", "nodes": 2, "gpusPerNode": 9223372036854775807}"#, ana),
            ("/v1/jobs?dryRun=true", job + #", "nodes": 9223372036854775807}"#, ana),
            ("/v1/jobs", job + #", "gpuMemory": 18446744073709551615}"#, ana),
            ("/v1/jobs", job + #", "gpus": 1, "command": ["sleep", null]}"#, ana),
            ("/v1/jobs?dryRun=maybe", job + #", "gpus": 1}"#, ana),
            ("/v1/tokens", #"{"user": "x", "role": "admin"}"#, c.adminToken),
            (
                "/v1/reservations",
                #"{"nodes": "dgx01", "start": "9223372036854775807", "duration": "1h", "reason": "r"}"#, c.adminToken
            ),
            ("/v1/reservations", #"{"nodes": "dgx01", "end": "9223372036854775807", "reason": "r"}"#, c.adminToken),
            (
                "/v1/reservations", #"{"nodes": "dgx[000000001-999999999]", "duration": "1h", "reason": "r"}"#,
                c.adminToken
            ),
            ("/v1/reservations", #"{"nodes": "dgx01", "duration": "99999999999d", "reason": "r"}"#, c.adminToken),
        ]
        for (path, body, token) in refusals {
            let r = try await c.raw("POST", path, token: token, body: Data(body.utf8))
            #expect(r.status == 400, "\(path) \(body): \(r.status) \(String(decoding: r.body, as: UTF8.self))")
        }
        // An end no clock can show, from the node's side (an admin may speak for an agent): the job ends now.
        let heartbeat = #"{"runs": [{"runId": "\#(kept.id)", "phase": "completed", "exitCode": 0, "endedAt": 1e300}]}"#
        let h = try await c.raw("POST", "/v1/agents/dgx01/heartbeat", token: c.adminToken, body: Data(heartbeat.utf8))
        #expect(h.status == 200, "\(String(decoding: h.body, as: UTF8.self))")

        #expect(c.controller?.isRunning == true, "\(c.logs())")
        #expect(try await c.raw("GET", "/healthz", token: nil).status == 200)
        let ended = try await c.job(kept.id)
        #expect(ended.state == .completed)
        #expect(ended.endTime.map { $0 <= Int64(Date().timeIntervalSince1970) } == true)
        let all: JobList = try await c.get("/v1/jobs", token: c.adminToken)
        #expect(all.jobs.map(\.id) == [kept.id])
    }

    @Test func oneUsersFloodIsHeldToItsLimitsAndNoNodeGoesDown() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        let yaml = try String(contentsOfFile: c.clusterFile, encoding: .utf8)
        try (yaml + "\nsecurity:\n  maxJobsPerUser: 12000\n  submissionsPerMinute: 4\n").write(
            toFile: c.clusterFile, atomically: true, encoding: .utf8)
        try await c.start(nodes: ["dgx01", "dgx02"])
        let ana = try await token(c, "ana")
        let bo = try await token(c, "bo")
        let bosJob = try await c.submit(c.job(c.sh("sleep 300"), gpus: 1), token: bo)
        try await c.waitFor("bo's job to run", timeout: 20) { try await c.job(bosJob.id).state == .running }

        // ana's 10,000 tasks are accepted; bo is served meanwhile.
        var flood = c.job(c.sh("sleep 300"), gpus: 1)
        flood.array = try ArraySpec(parsing: "0-9999")
        let accepted = Task { try await c.submit(flood, token: ana) }
        let list: JobList = try await c.get("/v1/jobs?state=running", token: bo)
        #expect(list.jobs.map(\.id) == [bosJob.id])
        let array = try await accepted.value
        #expect(array.arrayTaskCount == 10_000)

        // Past the job limit: a 429 that says so, nothing recorded.
        var more = c.job(c.sh("true"), gpus: 1)
        more.array = try ArraySpec(parsing: "0-2000")
        let tooMany = try await c.raw("POST", "/v1/jobs", token: ana, body: try JSONEncoder().encode(more))
        #expect(tooMany.status == 429)
        #expect(
            String(decoding: tooMany.body, as: UTF8.self).contains("may have at most 12000 (security.maxJobsPerUser)"))
        #expect(tooMany.headers["retry-after"] == "60")
        // Past the rate (four a minute: the array, the refused one, two more): a 429 with when to retry.
        for _ in 0..<2 {
            _ = try await c.raw(
                "POST", "/v1/jobs?dryRun=false", token: ana, body: try JSONEncoder().encode(c.job(["true"], gpus: 1)))
        }
        let fast = try await c.raw(
            "POST", "/v1/jobs", token: ana, body: try JSONEncoder().encode(c.job(["true"], gpus: 1)))
        #expect(fast.status == 429)
        #expect(Int(fast.headers["retry-after"] ?? "").map { (1...15).contains($0) } == true)
        // bo's submissions are not ana's.
        #expect(try await c.submit(c.job(c.sh("sleep 300"), gpus: 1), token: bo).state != .failed)

        // Past the time after which a silent node is declared down (7 s here), both nodes are up and bo's job
        // was never requeued.
        try await Task.sleep(for: .seconds(8))
        let nodes: NodeList = try await c.get("/v1/nodes", token: c.adminToken)
        #expect(nodes.nodes.filter { ["dgx01", "dgx02"].contains($0.name) }.allSatisfy { $0.state == .up })
        let still = try await c.job(bosJob.id)
        #expect(still.state == .running)
        #expect(still.requeueCount == 0)
        #expect(c.controller?.isRunning == true)
    }
}
