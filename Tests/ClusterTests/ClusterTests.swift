import Foundation
import RasporedAPI
import Scheduler
import Testing

/// The platform end to end: the controller and six agents as real processes over loopback HTTP.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ClusterTests {
    @Test func aJobRunsWithItsGPUsAndEnvironmentAndItsOutputComesBack() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start()
        let job = try await c.submit(
            c.job(
                c.sh(
                    "echo gpus=$CUDA_VISIBLE_DEVICES; echo cpus=$RASPORED_CPUS; echo job=$RASPORED_JOB_ID; echo nodes=$RASPORED_NODELIST; exit 0"
                ),
                gpus: 4))
        #expect(job.state == .running)
        let done = try await c.waitForJob(job.id, in: [.completed, .failed])
        #expect(done.state == .completed)
        #expect(done.exitCode == 0)
        let a = try #require(done.allocation?.nodes.first)
        #expect(a.gpus.count == 4)
        #expect(a.numa.count == 1)
        let out = try await c.output(job.id)
        #expect(out.contains("gpus=\(a.gpus.map(String.init).joined(separator: ","))"))
        #expect(out.contains("job=\(job.id)\n"))
        #expect(out.contains("nodes=\(a.node)\n"))
        // The CPUs exported are the cores' hardware threads the engine chose (stand-in: not bound here).
        #expect(
            out.contains("cpus=\(RangeList.compact(a.cpus))")
                || out.contains("cpus=\(a.cpus.map(String.init).joined(separator: ","))"))
    }

    /// A running job's child whose command line does not name the cluster's directory (`sleep 300`, forked by
    /// `sh -c 'sleep 300' DIR`), on an agent that runs jobs unconfined (as where it may not make cgroups), so
    /// no cgroup holds it: `stopNow()` ends it all the same, and a test leaves no process behind.
    @Test func stoppingAClusterEndsItsRunningJobsProcesses() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        c.agentArguments = ["--confine", "none"]
        try await c.start(nodes: ["dgx01"])
        let job = try await c.submit(c.job(c.sh("sleep 300"), gpus: 1))
        try await c.waitForJob(job.id, in: [.running])
        var sleeps: [Int32] = []
        try await c.waitFor("the job's sleep to start", timeout: 20) {
            sleeps = LocalCluster.processes(in: c.dir).filter { pid in
                let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
                return String(decoding: cmdline, as: UTF8.self).hasPrefix("sleep\u{0}300")
            }
            return !sleeps.isEmpty
        }
        c.stopNow()
        #expect(sleeps.filter(LocalCluster.isAlive).isEmpty, "still running: \(sleeps)")
        #expect(LocalCluster.processes(in: c.dir).isEmpty)
    }

    @Test func cancelStopsARealProcessAndReleasesItsGPUs() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let long = try await c.submit(c.job(c.sh("sleep 300"), gpus: 1))
        try await c.waitFor("the job to run", timeout: 20) { try await c.job(long.id).state == .running }
        try await Task.sleep(for: .seconds(1))
        let cancelled: JobView = try await c.post("/v1/jobs/\(long.id)/cancel", Empty(), token: c.adminToken)
        #expect(cancelled.stopRequested == "cancel")
        let ended = try await c.waitForJob(long.id, in: [.cancelled, .failed, .completed])
        #expect(ended.state == .cancelled)
        // A job's GPUs may be released a moment after it ended (its processes gone).
        try? await c.waitFor("dgx01's GPUs to be free", timeout: 5) {
            let n: NodeView = try await c.get("/v1/nodes/dgx01", token: c.adminToken)
            return n.gpus.allSatisfy { $0.used == 0 }
        }
        let node: NodeView = try await c.get("/v1/nodes/dgx01", token: c.adminToken)
        #expect(node.gpus.allSatisfy { $0.used == 0 })
    }

    @Test func aTimeLimitStopsARealProcessAndReleasesItsGPUs() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let limited = try await c.submit(c.job(c.sh("sleep 300"), gpus: 1, time: TimeSpan(seconds: 2)))
        let timedOut = try await c.waitForJob(limited.id, in: [.timeout, .failed, .completed, .cancelled])
        #expect(timedOut.state == .timeout)
        let node: NodeView = try await c.get("/v1/nodes/dgx01", token: c.adminToken)
        #expect(node.gpus.allSatisfy { $0.used == 0 })
    }

    @Test func drainKeepsJobsAwayAndResumeBringsThemBack() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01", "dgx02"])
        let first = try await c.submit(c.job(c.sh("sleep 300"), gpus: 8))
        let busy = try #require(first.allocation?.nodes.first?.node)
        let idle = busy == "dgx01" ? "dgx02" : "dgx01"
        let drained: NodeView = try await c.post(
            "/v1/nodes/\(idle)/drain", DrainRequest(reason: "GPU 3 ECC errors"), token: c.adminToken)
        #expect(drained.state == .drained)
        #expect(drained.reason == "GPU 3 ECC errors")
        let waiting = try await c.submit(c.job(c.sh("true"), gpus: 8))
        #expect(waiting.state == .pending)
        let resumed: NodeView = try await c.post("/v1/nodes/\(idle)/resume", Empty(), token: c.adminToken)
        #expect(resumed.state == .up)
        let ran = try await c.waitForJob(waiting.id, in: [.completed, .failed])
        #expect(ran.state == .completed)
        #expect(ran.allocation?.nodes.first?.node == idle)
    }

    @Test func aKilledAgentsNodeGoesDownAndItsJobIsRequeuedElsewhere() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01", "dgx02"])
        let job = try await c.submit(c.job(c.sh("sleep 300"), gpus: 8))
        let first = try #require(job.allocation?.nodes.first?.node)
        c.killAgent(first)
        let again = try await c.waitForJob(job.id, in: [.running], timeout: 30)
        _ = again
        try await c.waitFor("the job to run elsewhere", timeout: 30) {
            let j = try await c.job(job.id)
            return j.state == .running && j.requeueCount == 1 && j.allocation?.nodes.first?.node != first
        }
        let down: NodeView = try await c.get("/v1/nodes/\(first)", token: c.adminToken)
        #expect(down.state == .down)
        #expect(down.reason?.contains("no heartbeat") == true)
    }

    @Test func aControllerKilledMidBurstKeepsEveryAcknowledgedJobAndNeverDoublesAGPU() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01", "dgx02", "dgx03"])
        let acknowledged = Acks()
        let burst = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<100 {
                            guard let j = try? await c.submit(c.job(c.sh("sleep 1"), gpus: 1)) else { return }
                            await acknowledged.add(j.id)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        try await c.waitFor("some acknowledgements", timeout: 30) { await acknowledged.count >= 40 }
        c.killController()
        try await burst.value
        let acked = await acknowledged.ids
        try await c.startController()
        let all: JobList = try await c.get("/v1/jobs", token: c.adminToken)
        let known = Set(all.jobs.map(\.id))
        #expect(acked.isSubset(of: known), "lost: \(acked.subtracting(known).sorted())")
        // Agents come back, jobs keep running and finishing; at every look no GPU is held twice.
        for _ in 0..<10 {
            let now: JobList = try await c.get("/v1/jobs?state=running", token: c.adminToken)
            var held = Set<String>()
            for j in now.jobs {
                for n in j.allocation?.nodes ?? [] {
                    for g in n.gpus { #expect(held.insert("\(n.node)/\(g)").inserted, "GPU \(n.node)/\(g) twice") }
                }
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        try await c.waitFor("every acknowledged job to complete", timeout: 120) {
            let done: JobList = try await c.get("/v1/jobs?state=completed", token: c.adminToken)
            return acked.isSubset(of: Set(done.jobs.map(\.id)))
        }
    }

    @Test func refusalsArePreciseAndTheControllerStaysUp() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let ana: TokenView = try await c.post("/v1/tokens", TokenRequest(user: "ana"), token: c.adminToken)
        let bo: TokenView = try await c.post("/v1/tokens", TokenRequest(user: "bo"), token: c.adminToken)
        let mine = try await c.submit(c.job(c.sh("sleep 300"), gpus: 1), token: ana.secret)

        func expect(_ method: String, _ path: String, _ body: String?, token: String?, _ status: UInt, _ text: String)
            async throws
        {
            let r = try await c.raw(method, path, token: token, body: body.map { Data($0.utf8) })
            let message = String(decoding: r.body, as: UTF8.self)
            #expect(r.status == status, "\(method) \(path): \(message)")
            #expect(message.contains(text), "\(method) \(path): \(message)")
        }
        try await expect("GET", "/v1/jobs", nil, token: nil, 401, "bearer token is required")
        try await expect("POST", "/v1/jobs/\(mine.id)/cancel", nil, token: bo.secret, 403, "belongs to ana")
        try await expect("POST", "/v1/jobs", "{\"gpus\": 2,", token: ana.secret, 400, "malformed JSON")
        try await expect(
            "POST", "/v1/jobs", #"{"gpus": 65, "account": "ivi", "command": ["true"], "workdir": "/tmp"}"#,
            token: ana.secret, 400, "65 GPUs requested; the cluster has 48")
        try await expect(
            "POST", "/v1/jobs",
            #"{"gpus": 1, "partition": "huge", "account": "ivi", "command": ["true"], "workdir": "/tmp"}"#,
            token: ana.secret, 400, "huge")
        try await expect(
            "POST", "/v1/jobs",
            #"{"gpus": 1, "memory": "-4GiB", "account": "ivi", "command": ["true"], "workdir": "/tmp"}"#,
            token: ana.secret, 400, "negative")
        try await expect(
            "POST", "/v1/nodes/dgx09/drain", #"{"reason": "x"}"#, token: c.adminToken, 404, "unknown node 'dgx09'")
        try await expect("POST", "/v1/nodes/dgx01/drain", #"{"reason": "x"}"#, token: ana.secret, 403, "only an admin")
        // An agent token cannot act for another node.
        let agent: TokenView = try await c.post(
            "/v1/tokens", TokenRequest(user: "a", node: "dgx01"), token: c.adminToken)
        try await expect("POST", "/v1/agents/dgx02/heartbeat", #"{"runs": []}"#, token: agent.secret, 403, "dgx01")
        // Still serving, and the accepted job is untouched.
        #expect(try await c.raw("GET", "/healthz", token: nil).status == 200)
        #expect(try await c.job(mine.id).state == .running)
    }
}

extension ClusterTests {
    @Test func clusterYAMLIsReloadedWithoutLosingJobsAndBadEditsAreRefused() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let job = try await c.submit(c.job(c.sh("sleep 300"), gpus: 8))
        #expect(job.allocation?.nodes.first?.node == "dgx01")
        let original = try String(contentsOfFile: c.clusterFile, encoding: .utf8)

        // Malformed YAML: refused with the file's line, nothing changes.
        try (original + "\nnodes: [\n").write(toFile: c.clusterFile, atomically: true, encoding: .utf8)
        var r = try await c.raw("POST", "/v1/cluster/reload", token: c.adminToken)
        #expect(r.status == 400, "\(String(decoding: r.body, as: UTF8.self))")
        #expect(String(decoding: r.body, as: UTF8.self).contains("not reloaded"))

        // Dropping dgx01, where the job runs: refused, naming the job.
        let without = original.replacingOccurrences(of: "dgx[01-06]", with: "dgx[02-06]")
        try without.write(toFile: c.clusterFile, atomically: true, encoding: .utf8)
        r = try await c.raw("POST", "/v1/cluster/reload", token: c.adminToken)
        #expect(r.status == 409)
        #expect(String(decoding: r.body, as: UTF8.self).contains("job \(job.id) runs on dgx01"))

        // Adding dgx07: accepted; the job keeps running where it was, the new node waits for its agent.
        let more = original.replacingOccurrences(of: "dgx[01-06]", with: "dgx[01-07]")
        try more.write(toFile: c.clusterFile, atomically: true, encoding: .utf8)
        let reloaded: ClusterReloaded = try await c.post("/v1/cluster/reload", Empty(), token: c.adminToken)
        #expect(reloaded.added == ["dgx07"])
        #expect(reloaded.nodes == 7)
        let nodes: NodeList = try await c.get("/v1/nodes", token: c.adminToken)
        #expect(nodes.nodes.map(\.name).last == "dgx07")
        #expect(nodes.nodes.last?.state == .down)
        let still = try await c.job(job.id)
        #expect(still.state == .running)
        #expect(still.allocation == job.allocation)
        // Users may not reload.
        let ana: TokenView = try await c.post("/v1/tokens", TokenRequest(user: "ana"), token: c.adminToken)
        #expect(try await c.raw("POST", "/v1/cluster/reload", token: ana.secret).status == 403)
    }
}

extension ClusterTests {
    @Test func anAgentWithDifferentHardwareKeepsItsNodeOutAndMetricsTellTheState() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        // dgx02's agent finds a DGX-2 (16 V100s) where cluster.yaml declares a DGX H200.
        try await c.createAgentToken("dgx02")
        try c.startAgent(
            "dgx02", topology: LocalCluster.root.appendingPathComponent("Tests/Fixtures/hwloc/nvidiaDGX2.xml").path)
        var node: NodeView?
        try await c.waitFor("dgx02 to register", timeout: 30) {
            node = try await c.get("/v1/nodes/dgx02", token: c.adminToken)
            return node?.state == .invalid
        }
        #expect(node?.reason?.contains("GPUs: 16 found, 8 declared") == true, "\(node?.reason ?? "")")
        // Two 8-GPU jobs: one runs on dgx01, the other waits rather than going to dgx02.
        let a = try await c.submit(c.job(c.sh("sleep 300"), gpus: 8))
        let b = try await c.submit(c.job(c.sh("sleep 300"), gpus: 8))
        #expect(a.state == .running)
        #expect(a.allocation?.nodes.first?.node == "dgx01")
        #expect(b.state == .pending)

        let text = String(decoding: try await c.raw("GET", "/metrics", token: nil).body, as: UTF8.self)
        let lines = Set(text.split(separator: "\n").map(String.init))
        #expect(lines.contains(#"raspored_jobs{state="running"} 1.0"#), "\(text)")
        #expect(lines.contains(#"raspored_jobs{state="pending"} 1.0"#))
        #expect(lines.contains(#"raspored_gpus_allocated{node="dgx01"} 8.0"#))
        #expect(lines.contains(#"raspored_node_up{node="dgx02",state="invalid"} 1.0"#))
        #expect(lines.contains(#"raspored_submissions_total 2"#))
        #expect(text.contains("raspored_scheduling_pass_seconds_bucket"))
        #expect(text.contains(#"raspored_heartbeat_age_seconds{node="dgx01"}"#))
    }
}

private struct Empty: Encodable {}

private actor Acks {
    private(set) var ids: Set<Int64> = []
    func add(_ id: Int64) { ids.insert(id) }
    var count: Int { ids.count }
}
