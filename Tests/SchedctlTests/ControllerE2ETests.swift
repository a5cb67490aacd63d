import Foundation
import RasporedAPI
import Testing

@testable import Scheduler

#if canImport(Glibc)
    import Glibc
#endif

/// The real `schedulerd` on a free loopback port over a fresh state directory, for schedctl to talk to.
final class LiveController: @unchecked Sendable {
    let process = Process()
    let url: String
    let state: URL
    let adminToken: String

    static var binary: URL { CLI.binary.deletingLastPathComponent().appendingPathComponent("schedulerd") }

    /// `cluster`: the cluster description's path (default: the platform's cluster.yaml).
    init(cluster: String? = nil) throws {
        state = Scratch.root.appendingPathComponent("schedctl-e2e-\(UUID())")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let port = try Self.freePort()
        url = "http://127.0.0.1:\(port)"
        process.executableURL = Self.binary
        process.arguments = [
            "--cluster", cluster ?? CLI.root.appendingPathComponent("cluster.yaml").path, "--state", state.path,
            "--listen", "127.0.0.1:\(port)", "--log-level", "warning", "--without-agents", "--init",
        ]
        let log = state.appendingPathComponent("schedulerd.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // Ready once the admin token is written and the API answers.
        let tokenFile = state.appendingPathComponent("admin.token").path
        let deadline = Date().addingTimeInterval(60)
        var token: String?
        var ready = false
        while Date() < deadline, process.isRunning {
            // Read it afresh each time: the first read may catch the file before its secret is written.
            let t = (try? String(contentsOfFile: tokenFile, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if let t, !t.isEmpty, try CLI.run(["nodes"], environment: Self.env(url, t)).status == 0 {
                token = t
                ready = true
                break
            }
            usleep(100_000)
        }
        guard ready, let token else {
            process.terminate()
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw CLIE2EError("schedulerd did not start (\(Self.binary.path)): \(text)")
        }
        adminToken = token
    }

    deinit { stop() }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    static func env(_ url: String, _ token: String?) -> [String: String] {
        var e = ["HOME": "/nonexistent-home", "PATH": "/usr/bin:/bin", "RASPORED_CONTROLLER": url]
        if let token { e["RASPORED_TOKEN"] = token }
        return e
    }

    /// Runs schedctl as whoever holds `token` (the admin by default).
    func schedctl(_ args: [String], token: String? = nil, in directory: URL? = nil) throws -> CLI.Result {
        try CLI.run(args, environment: Self.env(url, token ?? adminToken), in: directory)
    }

    /// A user token, made with `schedctl token create --quiet`.
    func token(for user: String) throws -> String {
        let r = try schedctl(["token", "create", "--user", user, "--quiet"])
        guard r.status == 0 else { throw CLIE2EError("token create failed: \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw CLIE2EError("no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

struct CLIE2EError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func decodeJSON<T: Decodable>(_ type: T.Type, _ r: CLI.Result) throws -> T {
    try JSONDecoder().decode(type, from: Data(r.stdout.utf8))
}

/// schedctl against the real controller: what a researcher and an admin type.
@Suite(.serialized) struct ControllerE2ETests {
    /// ana's three submissions, one each way: by flags (4 GPUs), by a job file (2 GPUs), by an sbatch script
    /// (8 GPUs, with a directive schedctl does not understand); all run at once on the empty cluster.
    struct ThreeWays {
        var ana: String
        var work: URL
        var script: URL
        var byFlags: CLI.Result
        var byFile: CLI.Result
        var byScript: CLI.Result
    }

    static func submitThreeWays(_ c: LiveController) throws -> ThreeWays {
        let ana = try c.token(for: "ana")
        let work = Scratch.root.appendingPathComponent("schedctl-e2e-work-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let byFlags = try c.schedctl(
            ["submit", "--gpus", "4", "--account", "ivi", "--time", "1h", "--name", "flags", "--", "python", "t.py"],
            token: ana, in: work)
        try "gpus: 2\naccount: etf\ntime: 30m\ncommand: [python, eval.py]\n".write(
            to: work.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        let byFile = try c.schedctl(["submit", "--file", "job.yaml", "--parsable"], token: ana, in: work)
        let script = work.appendingPathComponent("train.sh")
        try """
        #!/bin/bash
        #SBATCH --job-name=slurmish
        #SBATCH --gres=gpu:8 -N 1
        #SBATCH --time=2:00:00 -A ipb
        #SBATCH --mail-type=END
        python train.py
        """.write(to: script, atomically: true, encoding: .utf8)
        let byScript = try c.schedctl(["submit", "train.sh", "--epochs", "3"], token: ana, in: work)
        return ThreeWays(
            ana: ana, work: work, script: script, byFlags: byFlags, byFile: byFile, byScript: byScript)
    }

    @Test func submitTakesFlagsAJobFileOrAnSbatchScript() throws {
        let c = try LiveController()
        let s = try Self.submitThreeWays(c)
        #expect(s.byFlags.status == 0, "\(s.byFlags.stderr)")
        #expect(s.byFlags.stdout == "Submitted job 1\n")
        #expect(s.byFile.status == 0, "\(s.byFile.stderr)")
        #expect(s.byFile.stdout == "2\n")
        #expect(s.byScript.status == 0, "\(s.byScript.stderr)")
        #expect(s.byScript.stdout == "Submitted job 3\n")
        #expect(
            s.byScript.stderr.contains("schedctl: warning: train.sh:5: #SBATCH --mail-type is not understood here"))
    }

    @Test func queueJSONHoldsWhatEachWayOfSubmittingAsked() throws {
        let c = try LiveController()
        let s = try Self.submitThreeWays(c)
        let queue = try c.schedctl(["queue", "--json"], token: s.ana)
        #expect(queue.status == 0)
        let jobs = try decodeJSON(JobList.self, queue).jobs
        #expect(jobs.map(\.id) == [1, 2, 3])
        #expect(jobs.map(\.name) == ["flags", "python", "slurmish"])
        #expect(jobs.allSatisfy { $0.user == "ana" })
        // Placed by the engine at once: 4 + 2 + 8 GPUs fit the empty cluster.
        #expect(jobs.map(\.state) == [.running, .running, .running])
        #expect(jobs[1].account == "etf")
        #expect(jobs[1].timeLimit == 1800)
        #expect(jobs[1].workdir == s.work.path)
        #expect(jobs[1].command == ["python", "eval.py"])
        #expect(jobs[2].request.gpus == 8)
        #expect(jobs[2].request.gpusPerNode == 8)
        #expect(jobs[2].request.nodes == 1)
        #expect(jobs[2].timeLimit == 7200)
        #expect(jobs[2].account == "ipb")
        #expect(jobs[2].command == ["/bin/bash", s.script.path, "--epochs", "3"])
    }

    @Test func queueTableListsTheJobsUnderItsHeaderAndNamesTheOrder() throws {
        let c = try LiveController()
        let s = try Self.submitThreeWays(c)
        let table = try c.schedctl(["queue"], token: s.ana)
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines[4] == "Queue order: priority, highest first (policy fairshare, with backfill)")
        #expect(lines[0].hasPrefix("ID  USER  NAME"))
        #expect(lines[0].contains("NODES/REASON"))
        #expect(lines[0].contains("EST START"))
        #expect(lines[3].contains("slurmish"))
        #expect(lines[3].contains("running"))
        #expect(lines[3].contains(" 8 "))
    }

    @Test func showGivesOneJobInWords() throws {
        let c = try LiveController()
        let s = try Self.submitThreeWays(c)
        let show = try c.schedctl(["show", "3"], token: s.ana)
        #expect(show.status == 0)
        #expect(show.stdout.contains("State:"))
        #expect(show.stdout.contains("running"))
        #expect(show.stdout.contains("Request:"))
        #expect(show.stdout.contains("8 GPUs"))
        #expect(show.stdout.contains("Allocation:"))
        #expect(show.stdout.contains("0-7"))
    }

    @Test func showJSONIsTheQueuesViewWithTheEnvironmentCounted() throws {
        let c = try LiveController()
        let s = try Self.submitThreeWays(c)
        let jobs = try decodeJSON(JobList.self, try c.schedctl(["queue", "--json"], token: s.ana)).jobs
        var shown = try decodeJSON(JobView.self, try c.schedctl(["show", "3", "--json"], token: s.ana))
        // One job's view counts its exported variables; a list does not read environments.
        #expect(shown.environmentCount != nil)
        #expect(jobs[2].environmentCount == nil)
        shown.environmentCount = nil
        #expect(shown == jobs[2])
    }

    @Test func anAdminSeesEveryonesQueueAndFiltersItByUser() throws {
        let c = try LiveController()
        _ = try Self.submitThreeWays(c)
        let admins = try decodeJSON(JobList.self, try c.schedctl(["queue", "--json", "--user", "ana"]))
        #expect(admins.jobs.count == 3)
        #expect(try decodeJSON(JobList.self, try c.schedctl(["queue", "--json", "--user", "bo"])).jobs.isEmpty)
    }

    /// ana's seven 8-GPU jobs (`sleep 1` … `sleep 7`): six fill the cluster, the seventh waits. Returns the
    /// tokens of ana and bo and schedctl's answers to the submissions.
    static func fillTheCluster(_ c: LiveController) throws -> (ana: String, bo: String, submitted: [CLI.Result]) {
        let ana = try c.token(for: "ana")
        let bo = try c.token(for: "bo")
        let submitted = try (1...7).map { i in
            try c.schedctl(["submit", "--gpus", "8", "--account", "ivi", "--", "sleep", "\(i)"], token: ana)
        }
        return (ana, bo, submitted)
    }

    @Test func sixEightGPUJobsFillTheClusterAndTheSeventhWaits() throws {
        let c = try LiveController()
        let (ana, _, submitted) = try Self.fillTheCluster(c)
        for (i, r) in zip(1...7, submitted) {
            #expect(r.stdout == "Submitted job \(i)\n", "\(r.stderr)")
        }
        let pending = try decodeJSON(
            JobList.self, try c.schedctl(["queue", "--json", "--state", "pending"], token: ana))
        #expect(pending.jobs.map(\.id) == [7])
        #expect(pending.jobs[0].pendingReason != nil)
        let queue = try c.schedctl(["queue"], token: ana)
        #expect(queue.stdout.split(separator: "\n").dropLast().last?.contains("pending") == true)
    }

    @Test func cancellingAnotherUsersJobIsRefused() throws {
        let c = try LiveController()
        let (_, bo, _) = try Self.fillTheCluster(c)
        let refused = try c.schedctl(["cancel", "1"], token: bo)
        #expect(refused.status == 1)
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr == "schedctl: error: job 1 belongs to ana\n")
    }

    @Test func cancelEndsAPendingJobAndAsksARunningOneToStop() throws {
        let c = try LiveController()
        let (ana, _, _) = try Self.fillTheCluster(c)
        let cancelled = try c.schedctl(["cancel", "7", "1"], token: ana)
        #expect(cancelled.status == 0, "\(cancelled.stderr)")
        let out = cancelled.stdout.split(separator: "\n")
        #expect(out.first == "Cancelled job 7")
        #expect(out.last?.hasPrefix("Cancel requested for job 1") == true)
        let seven = try decodeJSON(JobView.self, try c.schedctl(["show", "7", "--json"], token: ana))
        #expect(seven.state == .cancelled)
        let one = try decodeJSON(JobView.self, try c.schedctl(["show", "1", "--json"], token: ana))
        #expect(one.state == .running)
        #expect(one.stopRequested == "cancel")
    }

    @Test func aCancelOfSeveralJobsReportsEachRefusalAndCancelsTheRest() throws {
        let c = try LiveController()
        let (ana, _, _) = try Self.fillTheCluster(c)
        _ = try c.schedctl(["cancel", "7"], token: ana)
        // Several jobs, some refused: each reported, exit 1, the good one still cancelled.
        let mixed = try c.schedctl(["cancel", "7", "999", "2"], token: ana)
        #expect(mixed.status == 1)
        #expect(mixed.stderr.contains("schedctl: error: no job 999"))
        #expect(mixed.stderr.contains("schedctl: error: job 7 is cancelled"))
        #expect(mixed.stdout.contains("Cancel requested for job 2"))
    }

    @Test func showingAnotherUsersJobIsRefused() throws {
        let c = try LiveController()
        let (_, bo, _) = try Self.fillTheCluster(c)
        let showOther = try c.schedctl(["show", "2"], token: bo)
        #expect(showOther.status == 1)
        #expect(showOther.stderr.hasPrefix("schedctl: error: job 2 belongs to ana"))
    }

    @Test func tokenCreateForUsersAndAdmins() throws {
        let c = try LiveController()
        let made = try c.schedctl(["token", "create", "--user", "ivo", "--admin"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.hasPrefix("Created admin token "))
        let secret = made.stdout.split(separator: "\n")[1]
        #expect(secret.hasPrefix("rsp_"))
        let json = try decodeJSON(TokenView.self, try c.schedctl(["token", "create", "--user", "mia", "--json"]))
        #expect(json.role == "user")
        #expect(json.user == "mia")
        #expect(json.secret.hasPrefix("rsp_"))
        // The new admin can drain; the new user cannot create tokens.
        #expect(try c.schedctl(["drain", "dgx01", "--reason", "test"], token: String(secret)).status == 0)
        let refused = try c.schedctl(["token", "create", "--user", "x"], token: json.secret)
        #expect(refused.status == 1)
        #expect(refused.stderr == "schedctl: error: only an admin may create tokens; mia is not one\n")
    }

    /// Two tokens made by the admin: ana's user token (2, expiring in 90 days) and an agent token for bo on
    /// dgx01 (3). Returns schedctl's answer for ana's and the agent token's JSON.
    static func makeTokens(_ c: LiveController) throws -> (ana: CLI.Result, agent: TokenView) {
        let ana = try c.schedctl(["token", "create", "ana", "--expires", "90d"])
        let agent = try decodeJSON(
            TokenView.self, try c.schedctl(["token", "create", "bo", "--node", "dgx01", "--json"]))
        return (ana, agent)
    }

    /// `makeTokens`, then ana's token revoked and a token made for cy (4), who may not list tokens.
    static func makeAndRevokeTokens(_ c: LiveController) throws {
        _ = try makeTokens(c)
        _ = try c.schedctl(["token", "revoke", "2"])
        _ = try c.schedctl(["token", "list"], token: c.token(for: "cy"))
    }

    @Test func tokenCreateMakesExpiringUserTokensAndAgentTokens() throws {
        let c = try LiveController()
        let (ana, agent) = try Self.makeTokens(c)
        #expect(ana.status == 0, "\(ana.stderr)")
        #expect(ana.stdout.hasPrefix("Created user token 2 for ana (expires "))
        #expect(agent.role == "agent")
        #expect(agent.id == 3)
        #expect(agent.expires == nil)
    }

    @Test func tokenCreateRefusesTheUserNamedTwice() throws {
        let c = try LiveController()
        let both = try c.schedctl(["token", "create", "ana", "--user", "ana"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("name the user once"))
    }

    @Test func tokenListShowsEachLiveTokenWithoutItsSecret() throws {
        let c = try LiveController()
        _ = try Self.makeTokens(c)
        let list = try c.schedctl(["token", "list"])
        #expect(list.status == 0, "\(list.stderr)")
        let rows = list.stdout.split(separator: "\n").map(String.init)
        #expect(rows.count == 4)
        #expect(rows[0].hasPrefix("ID  USER   ROLE   NODE   STATE   CREATED"))
        #expect(rows[0].hasSuffix("EXPIRES              LAST USED"))
        #expect(rows[1].contains("admin"))
        #expect(rows[1].contains("active"))
        #expect(rows[1].contains("never"))
        // ana's token expires (a time, not "never") and was never used.
        #expect(rows[2].contains("ana"))
        #expect(rows[2].contains("user"))
        #expect(rows[2].components(separatedBy: "never").count == 2)
        #expect(rows[2].hasSuffix("never"))
        #expect(rows[3].contains("bo"))
        #expect(rows[3].contains("agent"))
        #expect(rows[3].contains("dgx01"))
        #expect(!list.stdout.contains("rsp_"))
    }

    @Test func aRevokedTokenIsRefusedAndListedOnlyWithAll() throws {
        let c = try LiveController()
        let (ana, _) = try Self.makeTokens(c)
        let anaSecret = String(ana.stdout.split(separator: "\n")[1])
        let revoked = try c.schedctl(["token", "revoke", "2"])
        #expect(revoked.status == 0, "\(revoked.stderr)")
        #expect(revoked.stdout == "Revoked user token 2 of ana\n")
        let refused = try c.schedctl(["queue"], token: anaSecret)
        #expect(refused.status == 2)
        #expect(refused.stderr.hasPrefix("schedctl: error: token 2 was revoked at "))
        #expect(try c.schedctl(["token", "list"]).stdout.split(separator: "\n").count == 3)
        let all = try decodeJSON(TokenList.self, try c.schedctl(["token", "list", "--all", "--json"]))
        #expect(all.tokens.map(\.id) == [1, 2, 3])
        #expect(all.tokens[1].revoked != nil)
    }

    @Test func onlyAnAdminListsTokens() throws {
        let c = try LiveController()
        let user = try c.schedctl(["token", "list"], token: c.token(for: "cy"))
        #expect(user.status == 1)
        #expect(user.stderr == "schedctl: error: only an admin may list tokens; cy is not one\n")
    }

    @Test func theAuditLogRecordsEachTokenMadeOrRevokedAndNothingRefused() throws {
        let c = try LiveController()
        try Self.makeAndRevokeTokens(c)
        let audit = try c.schedctl(["audit"])
        #expect(audit.status == 0, "\(audit.stderr)")
        let lines = audit.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("TIME") == true)
        #expect(lines.first?.contains("ACTION        TARGET   OUTCOME") == true)
        #expect(lines.count == 5, "\(audit.stdout)")
        #expect(lines[1].contains("token.create"))
        #expect(lines[1].contains("token 2"))
        #expect(lines[1].contains("user token for ana"))
        #expect(lines[3].contains("token.revoke"))
        #expect(lines[3].contains("token 2"))
        #expect(lines[3].contains(" ok "))
        #expect(lines[4].contains("token.create"))
        #expect(lines[4].contains("token 4"))
    }

    @Test func auditSinceAndLimitGiveTheLatestEntriesAsJSON() throws {
        let c = try LiveController()
        try Self.makeAndRevokeTokens(c)
        let recent = try decodeJSON(
            AuditList.self, try c.schedctl(["audit", "--since", "1h", "--limit", "2", "--json"]))
        #expect(recent.entries.map(\.action) == ["token.revoke", "token.create"])
        #expect(recent.entries.allSatisfy { $0.user == "admin" && $0.tokenId == 1 && $0.outcome == "ok" })
    }

    @Test func anAuditOfAnActorWithoutEntriesSaysSo() throws {
        let c = try LiveController()
        try Self.makeAndRevokeTokens(c)
        #expect(try c.schedctl(["audit", "--actor", "nobody"]).stdout == "No audit entries.\n")
    }

    @Test func auditRefusesASinceItCannotRead() throws {
        let c = try LiveController()
        let bad = try c.schedctl(["audit", "--since", "last tuesday"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--since takes a duration (1d, 12h) or a time"))
    }

    /// dgx03 drained by the admin ("GPU 3 ECC errors"); returns schedctl's answer.
    static func drainDgx03(_ c: LiveController) throws -> CLI.Result {
        try c.schedctl(["drain", "dgx03", "--reason", "GPU 3 ECC errors"])
    }

    @Test func drainSaysWhyAndTheNodesTableShowsItBesideTheOthers() throws {
        let c = try LiveController()
        let drained = try Self.drainDgx03(c)
        #expect(drained.status == 0, "\(drained.stderr)")
        #expect(drained.stdout.hasPrefix("dgx03: drained — GPU 3 ECC errors ("))

        let nodes = try c.schedctl(["nodes"])
        #expect(nodes.status == 0)
        let rows = nodes.stdout.split(separator: "\n")
        #expect(rows.count == 7)
        #expect(rows[0].hasPrefix("NODE   STATE"))
        #expect(rows[0].contains("FREE SHAPES"))
        #expect(rows[0].contains("HEARTBEAT"))
        let dgx03 = try #require(rows.first { $0.hasPrefix("dgx03") })
        #expect(dgx03.contains("drained"))
        #expect(dgx03.contains("GPU 3 ECC errors"))
        #expect(dgx03.contains("0:0/4 1:0/4"))
        let dgx01 = try #require(rows.first { $0.hasPrefix("dgx01") })
        #expect(dgx01.contains("up"))
        #expect(dgx01.contains("0:0/4 1:0/4"))
        #expect(dgx01.contains("1:8 2:4 4:2 8:1"))
    }

    @Test func nodesOfOneDrainedNodeGivesTheReasonAndWho() throws {
        let c = try LiveController()
        _ = try Self.drainDgx03(c)
        let one = try decodeJSON(NodeView.self, try c.schedctl(["nodes", "dgx03", "--json"]))
        #expect(one.state == .drained)
        #expect(one.reason == "GPU 3 ECC errors")
        #expect(one.actor == "admin")
        #expect(try c.schedctl(["nodes", "dgx03"]).stdout.contains("Reason:"))
    }

    @Test func aUserMayNotDrainANode() throws {
        let c = try LiveController()
        let ana = try c.token(for: "ana")
        let userDrain = try c.schedctl(["drain", "dgx02", "--reason", "x"], token: ana)
        #expect(userDrain.status == 1)
        #expect(userDrain.stderr == "schedctl: error: only an admin may drain a node; ana is not one\n")
    }

    @Test func resumeBringsADrainedNodeUp() throws {
        let c = try LiveController()
        _ = try Self.drainDgx03(c)
        let resumed = try c.schedctl(["resume", "dgx03"])
        #expect(resumed.status == 0)
        #expect(resumed.stdout == "dgx03: up\n")
        #expect(try decodeJSON(NodeView.self, try c.schedctl(["nodes", "dgx03", "--json"])).state == .up)
    }

    @Test func anUnknownNodeIsAnErrorToShowOrDrain() throws {
        let c = try LiveController()
        let unknown = try c.schedctl(["nodes", "dgx09"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.hasPrefix("schedctl: error: unknown node 'dgx09'"))
        #expect(try c.schedctl(["drain", "dgx09", "--reason", "x"]).status == 1)
    }

    @Test func requestsThatCanNeverRunAreRefusedInTheEnginesWords() throws {
        let c = try LiveController()
        let r = try c.schedctl(["submit", "--gpus", "65", "--account", "ivi", "--", "python", "x.py"])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == "schedctl: error: 65 GPUs requested; the cluster has 48\n")
        #expect(try decodeJSON(JobList.self, try c.schedctl(["queue", "--json", "--all"])).jobs.isEmpty)
    }

    @Test func tokensAndConnectionsThatFailAreUsageErrors() throws {
        let c = try LiveController()
        let none = try CLI.run(["queue"], environment: LiveController.env(c.url, nil))
        #expect(none.status == 2)
        #expect(none.stderr.hasPrefix("schedctl: error: no token: pass --token, set RASPORED_TOKEN"))
        let unknown = try c.schedctl(["queue"], token: "rsp_not-a-token")
        #expect(unknown.status == 2)
        #expect(unknown.stderr.hasPrefix("schedctl: error: "))
        #expect(unknown.stderr.split(separator: "\n").count == 1)
        let port = try LiveController.freePort()
        let down = try c.schedctl(["nodes", "--controller", "http://127.0.0.1:\(port)"])
        #expect(down.status == 2)
        #expect(down.stderr.hasPrefix("schedctl: error: cannot reach the controller at http://127.0.0.1:\(port) ("))
        let usage = try c.schedctl(["queue", "--bogus"])
        #expect(usage.status == 2)
        #expect(usage.stderr.hasPrefix("schedctl: error: "))
        let badState = try c.schedctl(["queue", "--state", "sleeping"])
        #expect(badState.status == 1)
        #expect(badState.stderr.hasPrefix("schedctl: error: unknown job state 'sleeping'"))
    }

    /// `--dry-run` never leaves a job behind: a controller with dry runs answers where the job would run and
    /// records nothing; one without them (this branch's) ignores `?dryRun=true` and submits, and schedctl
    /// then cancels that job and says so (exit 3).
    @Test func dryRunLeavesNoJobBehind() throws {
        let c = try LiveController()
        let r = try c.schedctl(["submit", "--dry-run", "--gpus", "4", "--account", "ivi", "--", "python", "x.py"])
        let jobs = try decodeJSON(JobList.self, try c.schedctl(["queue", "--json", "--all"])).jobs
        if r.status == 0 {
            #expect(r.stdout.hasPrefix("Would run now (partition gpu, account ivi, time limit 1d):"))
            #expect(jobs.isEmpty)
        } else {
            #expect(r.status == 3)
            #expect(
                r.stderr == "schedctl: error: the controller at \(c.url) does not support --dry-run: it submitted "
                    + "job 1 instead, which was cancelled\n")
            #expect(jobs.map(\.id) == [1])
            #expect(jobs.first?.state == .cancelled || jobs.first?.stopRequested == "cancel")
        }
    }

    /// `logs` and `submit --dry-run` against the controller itself (no agents here: the job's output is
    /// empty and it stays running; ClusterTests cover logs with agents).
    @Test func logsAndDryRunAgainstTheController() throws {
        let c = try LiveController()
        let dry = try c.schedctl(["submit", "--dry-run", "--gpus", "4", "--account", "ivi", "--", "x"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.hasPrefix("Would run now"))
        let id = try c.schedctl(["submit", "--parsable", "--gpus", "1", "--account", "ivi", "--", "echo", "hi"])
        let logs = try c.schedctl(["logs", id.stdout.trimmingCharacters(in: .whitespacesAndNewlines)])
        #expect(logs.status == 0, "\(logs.stderr)")
        #expect(logs.stdout.isEmpty)
        // Nothing was recorded by the dry run: the only job is the one submitted.
        let all = try decodeJSON(JobList.self, try c.schedctl(["queue", "--json", "--all"]))
        #expect(all.jobs.count == 1)
    }
}
