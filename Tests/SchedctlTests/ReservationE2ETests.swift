import Foundation
import RasporedAPI
import Testing

@testable import Scheduler

/// `reserve`, `reservations`, `unreserve`, `nodes`, and priorities in `queue` and `show`, against the real
/// controller.
@Suite(.serialized) struct ReservationE2ETests {
    /// ana's 8-GPU job running on dgx01 (1 h), then the admin's maintenance maint-1 of dgx[01-02] from
    /// 30 minutes on, for 2 h. Returns ana's token and schedctl's answers to both.
    static func reserveOverARunningJob(_ c: LiveController) throws -> (
        ana: String, running: CLI.Result, made: CLI.Result
    ) {
        let ana = try c.token(for: "ana")
        let running = try c.schedctl(
            ["submit", "--gpus", "8", "--time", "1h", "--account", "ivi", "--", "sleep", "1"], token: ana)
        let made = try c.schedctl(
            ["reserve", "--nodes", "dgx[01-02]", "--start", "+30m", "--duration", "2h", "--reason", "firmware update"])
        return (ana, running, made)
    }

    /// `reserveOverARunningJob`, then resv-1: dgx06 for account etf, from now for 1 h. Returns ana's token and
    /// schedctl's answer to resv-1 (`--json`).
    static func reserveTwo(_ c: LiveController) throws -> (ana: String, now: CLI.Result) {
        let ana = try reserveOverARunningJob(c).ana
        let now = try c.schedctl(
            ["reserve", "--nodes", "dgx06", "--duration", "1h", "--account", "etf", "--reason", "etf demo", "--json"])
        return (ana, now)
    }

    @Test func reserveSaysWhatItReservedAndWarnsOfAJobRunningIntoTheWindow() throws {
        let c = try LiveController()
        let (_, running, made) = try Self.reserveOverARunningJob(c)
        #expect(running.stdout == "Submitted job 1\n", "\(running.stderr)")
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.hasPrefix("Reserved maint-1: dgx[01-02] from "))
        #expect(made.stdout.hasSuffix(" (2h), maintenance (nobody's jobs)\n"))
        #expect(made.stderr.hasPrefix("schedctl: warning: job 1 (ana, account ivi) on dgx01 may run until "))
        #expect(
            made.stderr.hasSuffix("into the window; the reservation does not stop it (cancel it to free the node)\n"))
    }

    @Test func aUserMayNotReserve() throws {
        let c = try LiveController()
        let ana = try c.token(for: "ana")
        let byUser = try c.schedctl(["reserve", "--nodes", "dgx03", "--duration", "1h", "--reason", "x"], token: ana)
        #expect(byUser.status == 1)
        #expect(byUser.stderr == "schedctl: error: only an admin may create a reservation; ana is not one\n")
    }

    @Test func reserveRefusesAnOverlapNamingTheOther() throws {
        let c = try LiveController()
        _ = try Self.reserveOverARunningJob(c)
        let overlap = try c.schedctl([
            "reserve", "--nodes", "dgx02,dgx03", "--start", "+1h", "--duration", "1h", "--reason", "x",
        ])
        #expect(overlap.status == 1)
        #expect(overlap.stderr.hasPrefix("schedctl: error: dgx02 is already reserved from "))
        #expect(overlap.stderr.hasSuffix(" (maint-1: firmware update)\n"))
    }

    @Test func reserveRefusesAnUnknownNode() throws {
        let c = try LiveController()
        let unknown = try c.schedctl(["reserve", "--nodes", "dgx09", "--duration", "1h", "--reason", "x"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "schedctl: error: unknown node 'dgx09' (nodes: dgx01…dgx06)\n")
    }

    @Test func aReservationFromNowIsActiveAtOnce() throws {
        let c = try LiveController()
        let now = try Self.reserveTwo(c).now
        #expect(now.status == 0, "\(now.stderr)")
        let demo = try decodeJSON(ReservationCreated.self, now)
        #expect(demo.reservation.name == "resv-1")
        #expect(demo.reservation.state == .active)
        #expect(demo.warnings.isEmpty)
    }

    @Test func everyoneSeesTheReservationsTable() throws {
        let c = try LiveController()
        let ana = try Self.reserveTwo(c).ana
        let table = try c.schedctl(["reservations"], token: ana)
        #expect(table.status == 0, "\(table.stderr)")
        let rows = table.stdout.split(separator: "\n").map(String.init)
        #expect(rows.count == 3)
        #expect(rows[0].hasPrefix("NAME     STATE    NODES"))
        #expect(rows[1].hasPrefix("resv-1   active   dgx06 "))
        #expect(rows[1].contains(" etf "))
        #expect(rows[1].hasSuffix("etf demo"))
        #expect(rows[2].hasPrefix("maint-1  planned  dgx[01-02] "))
        #expect(rows[2].hasSuffix("-         firmware update"))
    }

    @Test func nodesShowANodeReservedNow() throws {
        let c = try LiveController()
        let ana = try Self.reserveTwo(c).ana
        let nodes = try c.schedctl(["nodes"], token: ana)
        let dgx06 = try #require(nodes.stdout.split(separator: "\n").first { $0.hasPrefix("dgx06") })
        #expect(dgx06.contains("reserved"))
        #expect(dgx06.hasSuffix("reservation resv-1"))
        #expect(try c.schedctl(["nodes", "dgx06"]).stdout.contains("Reservation:    resv-1 (active now)"))
    }

    @Test func aUserMayNotUnreserve() throws {
        let c = try LiveController()
        let ana = try Self.reserveTwo(c).ana
        let refused = try c.schedctl(["unreserve", "resv-1"], token: ana)
        #expect(refused.status == 1)
        #expect(refused.stderr == "schedctl: error: only an admin may delete a reservation; ana is not one\n")
    }

    @Test func unreserveDeletesOnceAndFreesTheNode() throws {
        let c = try LiveController()
        _ = try Self.reserveTwo(c)
        let gone = try c.schedctl(["unreserve", "resv-1"])
        #expect(gone.status == 0)
        #expect(gone.stdout.hasPrefix("Deleted reservation resv-1 (dgx06, "))
        let missing = try c.schedctl(["unreserve", "resv-1"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "schedctl: error: no reservation 'resv-1'\n")
        let left = try decodeJSON(ReservationList.self, try c.schedctl(["reservations", "--all", "--json"]))
        #expect(left.reservations.map(\.name) == ["maint-1"])
        #expect(try decodeJSON(NodeView.self, try c.schedctl(["nodes", "dgx06", "--json"])).reservation == nil)
    }

    @Test func underFairshareQueueAndShowGiveThePriority() throws {
        let platform = try String(contentsOf: CLI.root.appendingPathComponent("cluster.yaml"), encoding: .utf8)
        // cluster.yaml runs fairshare; the test says so rather than rely on it.
        #expect(platform.contains("scheduling:\n  policy: fairshare\n"))
        let cluster = try CLI.temp("fairshare-\(UUID()).yaml", platform)
        let c = try LiveController(cluster: cluster)
        let ana = try c.token(for: "ana")
        for _ in 1...6 {
            let r = try c.schedctl(["submit", "--gpus", "8", "--account", "ivi", "--", "sleep", "9"], token: ana)
            #expect(r.status == 0, "\(r.stderr)")
        }
        _ = try c.schedctl(["submit", "--gpus", "1", "--account", "etf", "--name", "small", "--", "x"], token: ana)
        _ = try c.schedctl(["submit", "--gpus", "8", "--account", "ipb", "--name", "large", "--", "x"], token: ana)

        let queue = try c.schedctl(["queue"], token: ana)
        #expect(queue.status == 0, "\(queue.stderr)")
        let lines = queue.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 10, "\(queue.stdout)")
        #expect(lines[0].contains("STATE    PRIORITY  GPUS"))
        // The 8-GPU job first: its size outweighs the other's earlier submission.
        #expect(lines[7].split(separator: " ").first == "8")
        #expect(lines[7].contains("large"))
        #expect(lines[8].split(separator: " ").first == "7")
        #expect(lines[8].contains("small"))
        #expect(lines[9] == "Queue order: priority, highest first (policy fairshare, with backfill)")
        let list = try decodeJSON(JobList.self, try c.schedctl(["queue", "--json"], token: ana))
        #expect(list.policy == "fairshare")
        let large = try #require(list.jobs.first { $0.id == 8 }?.priority)
        let small = try #require(list.jobs.first { $0.id == 7 }?.priority)
        #expect(large.total > small.total)
        #expect(large.size == 1000 * (8.0 / 48.0))

        let show = try c.schedctl(["show", "8"], token: ana)
        let line = try #require(show.stdout.split(separator: "\n").first { $0.hasPrefix("Priority:") })
        #expect(
            line.contains("+ size 167 + partition 0); the queue is in priority order (policy fairshare)"), "\(line)")
    }
}
