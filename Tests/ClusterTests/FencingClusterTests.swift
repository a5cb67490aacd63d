import Foundation
import RasporedAPI
import Scheduler
import Testing

/// Fencing end to end, with the real binaries: a job never runs twice at once, and a controller that is away
/// for less than the lease stops nothing. Each run appends its own start and end (run id, `date +%s.%N`) to
/// one file, so the order of the copies is read from what the runs themselves saw.
@Suite(.serialized, .timeLimit(.minutes(3))) struct FencingClusterTests {
    /// A run that logs its start, and its end when it is stopped (SIGTERM), in `runs.log`. Its only children
    /// are short sleeps, so nothing of it outlives the shell for long, however the shell ends.
    static func loggingRun(_ c: LocalCluster) -> [String] {
        let log = c.dir + "/runs.log"
        return c.sh(
            """
            echo "start $RASPORED_RUN_ID $(date +%s.%N)" >> \(log)
            trap 'echo "end $RASPORED_RUN_ID $(date +%s.%N)" >> \(log); exit 143' TERM
            while :; do sleep 0.1; done
            """)
    }

    struct Event: Hashable {
        var kind: String
        var run: String
        var time: Double
    }

    static func events(_ c: LocalCluster) -> [Event] {
        let text = (try? String(contentsOfFile: c.dir + "/runs.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            guard f.count == 3, let t = Double(f[2]) else { return nil }
            return Event(kind: String(f[0]), run: String(f[1]), time: t)
        }
    }

    /// Waits for `condition`; on a timeout the error has the runs' log and the daemons' logs.
    static func waitFor(_ c: LocalCluster, _ what: String, timeout: Double, _ condition: () async throws -> Bool)
        async throws
    {
        do { try await c.waitFor(what, timeout: timeout, condition) } catch {
            throw ClusterError("\(error)\nruns: \(events(c))\n\(c.logs())")
        }
    }

    /// Runs `body` on the cluster and stops the cluster (every process, the directory) before returning,
    /// whether `body` passed or threw.
    static func withCluster(_ c: LocalCluster, _ body: (LocalCluster) async throws -> Void) async throws {
        do { try await body(c) } catch {
            await c.stop()
            throw error
        }
        await c.stop()
    }

    @Test func aStoppedOrKilledAgentsRunsEndBeforeTheirRequeuedCopiesStart() async throws {
        // heartbeat 1 s, lease 5 s, kill grace 1 s, down after 7 s
        try await Self.withCluster(LocalCluster()) { c in try await stoppedOrKilledAgents(c) }
    }

    func stoppedOrKilledAgents(_ c: LocalCluster) async throws {
        try await c.start(nodes: ["dgx01", "dgx02", "dgx03", "dgx04"])
        let a = try await c.submit(c.job(Self.loggingRun(c), gpus: 8, name: "paused"))
        let b = try await c.submit(c.job(Self.loggingRun(c), gpus: 8, name: "killed"))
        let nodeA = try #require(a.allocation?.nodes.first?.node)
        let nodeB = try #require(b.allocation?.nodes.first?.node)
        try await Self.waitFor(c, "both runs to log their start", timeout: 30) {
            Set(Self.events(c).filter { $0.kind == "start" }.map(\.run)) == ["\(a.id)", "\(b.id)"]
        }
        // One agent paused (it can stop nothing itself), the other killed outright.
        let paused = try #require(c.agents[nodeA]?.processIdentifier)
        kill(paused, SIGSTOP)
        defer { kill(paused, SIGCONT) }
        c.killAgent(nodeB)

        for (job, node) in [(a, nodeA), (b, nodeB)] {
            try await Self.waitFor(c, "job \(job.id) to run again elsewhere", timeout: 60) {
                let j = try await c.job(job.id)
                return j.state == .running && j.requeueCount == 1 && j.allocation?.nodes.first?.node != node
            }
        }
        try await Self.waitFor(c, "the requeued runs to log their start", timeout: 30) {
            Set(Self.events(c).filter { $0.kind == "start" }.map(\.run)).isSuperset(of: ["\(a.id).1", "\(b.id).1"])
        }
        let events = Self.events(c)
        for job in [a, b] {
            let oldEnd = events.first { $0.kind == "end" && $0.run == "\(job.id)" }
            let newStart = events.first { $0.kind == "start" && $0.run == "\(job.id).1" }
            #expect(oldEnd != nil, "run \(job.id) never logged its end: \(events)\n\(c.logs())")
            if let oldEnd, let newStart {
                #expect(oldEnd.time < newStart.time, "run \(job.id) ended after its copy started: \(events)")
            }
        }
        let node: NodeView = try await c.get("/v1/nodes/\(nodeA)", token: c.adminToken)
        #expect(node.state == .down)

        // The paused agent continues: it registers again, and the old copy does not come back.
        kill(paused, SIGCONT)
        try await Self.waitFor(c, "\(nodeA) to be up again", timeout: 30) {
            let n: NodeView = try await c.get("/v1/nodes/\(nodeA)", token: c.adminToken)
            return n.state == .up
        }
        try await Task.sleep(for: .seconds(2))
        let starts = Self.events(c).filter { $0.kind == "start" }.map(\.run)
        #expect(starts.sorted() == ["\(a.id)", "\(a.id).1", "\(b.id)", "\(b.id).1"].sorted(), "\(Self.events(c))")
        #expect(try await c.job(a.id).requeueCount == 1)
    }

    @Test func aControllerAwayForLessThanTheLeaseLeavesEveryJobRunning() async throws {
        let c = LocalCluster(heartbeat: "1s", lease: "20s", killGrace: "1s", downAfter: "22s")
        try await Self.withCluster(c) { c in try await controllerAway(c) }
    }

    func controllerAway(_ c: LocalCluster) async throws {
        try await c.start(nodes: ["dgx01", "dgx02"])
        let jobs = [
            try await c.submit(c.job(Self.loggingRun(c), gpus: 8)),
            try await c.submit(c.job(Self.loggingRun(c), gpus: 8)),
        ]
        let runs = Set(jobs.map { "\($0.id)" })
        try await Self.waitFor(c, "both runs to log their start", timeout: 30) {
            Set(Self.events(c).filter { $0.kind == "start" }.map(\.run)) == runs
        }
        // Killed outright, away for six heartbeats, started again (as for an upgrade).
        c.killController()
        try await Task.sleep(for: .seconds(6))
        try await c.startController()
        try await Self.waitFor(c, "both nodes up again", timeout: 30) {
            let list: NodeList = try await c.get("/v1/nodes", token: c.adminToken)
            return ["dgx01", "dgx02"].allSatisfy { n in list.nodes.first { $0.name == n }?.state == .up }
        }
        try await Task.sleep(for: .seconds(2))
        for job in jobs {
            let j = try await c.job(job.id)
            #expect(j.state == .running, "job \(job.id): \(j.state), run \(j.requeueCount)")
            #expect(j.requeueCount == 0, "job \(job.id): \(j.state), run \(j.requeueCount)")
            #expect(j.allocation == job.allocation)
        }
        // The same runs, never stopped or started again.
        let events = Self.events(c)
        #expect(events.map(\.kind) == ["start", "start"], "\(events)")
        #expect(Set(events.map(\.run)) == runs)
        #expect(!c.logs().contains("(lease)"), "\(c.logs())")
    }
}
