import Foundation
import Glibc
import RasporedAPI
import Scheduler
import TestAccounts
import Testing

/// Jobs through the real controller and agents run as their submitters' Unix accounts (made and removed by
/// the test; needs root, as a node's agent does), and a node's agent token is out of every job's reach.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: TestUsers.available, "needs root to make Unix accounts"))
struct IdentityClusterTests {
    @Test func aJobRunsAsItsSubmitterAndCannotReadTheAgentsToken() async throws {
        let users = try TestUsers()
        defer { users.removeAll() }
        let ana = try users.make()
        let c = LocalCluster()
        c.runAs = "submitter"
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let home = c.dir + "/home-ana"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        chown(home, ana.uid, ana.gid)
        let token: TokenView = try await c.post("/v1/tokens", TokenRequest(user: ana.name), token: c.adminToken)
        let tokenFile = c.dir + "/dgx01.token"
        var submit = c.job(
            c.sh("id -un; cat \(tokenFile) || echo TOKEN-REFUSED; echo done"),
            gpus: 1)
        submit.workdir = home
        let job = try await c.submit(submit, token: token.secret)
        let done = try await c.waitForJob(job.id, in: [.completed, .failed])
        #expect(done.state == .completed, "\(done.endReason ?? "")")
        let out = try await c.output(job.id)
        #expect(out.hasPrefix("\(ana.name)\n"), "\(out)")
        #expect(out.contains("TOKEN-REFUSED"))
        #expect(!out.contains("rsp_"))
        // What the run used, from its cgroup, as `schedctl show` prints it.
        #expect(done.cpuSeconds != nil)
        #expect((done.peakMemoryBytes ?? 0) > 0)
        var st = stat()
        #expect(stat(tokenFile, &st) == 0, "the agent narrows its token file to 0600")
        #expect(st.st_mode & 0o777 == 0o600, "the agent narrows its token file to 0600")
    }

    @Test func aUserWithoutAnAccountOnTheNodeFailsWithTheReason() async throws {
        let c = LocalCluster()
        c.runAs = "submitter"
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let token: TokenView = try await c.post("/v1/tokens", TokenRequest(user: "nosuch-rspt"), token: c.adminToken)
        let job = try await c.submit(c.job(c.sh("touch \(c.dir)/ran"), gpus: 1), token: token.secret)
        let done = try await c.waitForJob(job.id, in: [.completed, .failed])
        #expect(done.state == .failed)
        #expect(done.endReason == "user nosuch-rspt has no account on dgx01", "\(done.endReason ?? "")")
        #expect(!FileManager.default.fileExists(atPath: c.dir + "/ran"))
    }

    /// A report is taken only from the node running the job, about the job's current run: another node's
    /// agent token, or a stale run id, changes nothing.
    @Test func reportsAboutRunsThatAreNotThatNodesCurrentRunAreIgnored() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01", "dgx02"])
        var submit = c.job(c.sh("sleep 300"), gpus: 8)
        submit.request.nodes = 1
        let job = try await c.submit(submit)
        try await c.waitFor("the job to run", timeout: 20) { try await c.job(job.id).state == .running }
        let node = try #require(try await c.job(job.id).allocation?.nodes.first?.node)
        let other = node == "dgx01" ? "dgx02" : "dgx01"
        let otherToken = try String(contentsOfFile: c.dir + "/\(other).token", encoding: .utf8)
        let mineToken = try String(contentsOfFile: c.dir + "/\(node).token", encoding: .utf8)
        let forged = RunStatus(
            runId: "\(job.id)", phase: .completed, exitCode: 0, endedAt: Date().timeIntervalSince1970)
        // Another node's agent, about this job's run.
        _ = try await c.raw(
            "POST", "/v1/agents/\(other)/heartbeat?wait=0", token: otherToken,
            body: try JSONEncoder().encode(AgentHeartbeat(runs: [forged])))
        // The job's own node, about a run of it that is not the current one.
        var stale = forged
        stale.runId = "\(job.id).3"
        _ = try await c.raw(
            "POST", "/v1/agents/\(node)/heartbeat?wait=0", token: mineToken,
            body: try JSONEncoder().encode(AgentHeartbeat(runs: [stale])))
        try await Task.sleep(for: .seconds(1))
        let now = try await c.job(job.id)
        #expect(now.state == .running)
        #expect(now.exitCode == nil)
    }
}
