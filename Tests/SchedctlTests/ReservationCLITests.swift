import Foundation
import RasporedAPI
import Testing

@testable import SchedctlCore
@testable import Scheduler

/// `reserve`, `reservations`, `unreserve` and the priority in `queue` and `show`, without a controller: flags,
/// times, tables.
@Suite struct ReservationCLITests {
    @Test func hostListsAreWrittenAsSlurmWritesThem() {
        #expect(HostList.compact(["dgx05", "dgx06"]) == "dgx[05-06]")
        #expect(HostList.compact(["dgx05"]) == "dgx05")
        #expect(HostList.compact(["dgx01", "dgx04", "dgx03", "gpu7", "login"]) == "dgx[01,03-04],gpu7,login")
        #expect(HostList.compact(["n9", "n10"]) == "n9,n10")
    }

    @Test func reservationTimesTakeNowFromNowAndISO8601() {
        let utc = TimeZone(identifier: "UTC")!
        let plus1 = TimeZone(secondsFromGMT: 3600)!
        let base: Int64 = 1_796_112_000  // 2026-12-01T08:00:00Z
        #expect(ReservationTime(parsing: "now", timeZone: utc) == .now)
        #expect(ReservationTime(parsing: "+2h", timeZone: utc) == .fromNow(.hours(2)))
        let resolved: Int64? = ReservationTime(parsing: "+1d12h", timeZone: utc)?.resolve(now: 100)
        #expect(resolved == Int64(100 + 36 * 3600))
        #expect(ReservationTime(parsing: "2026-12-01T08:00", timeZone: utc) == .at(base))
        #expect(ReservationTime(parsing: "2026-12-01 08:00:30", timeZone: utc) == .at(base + 30))
        #expect(ReservationTime(parsing: "2026-12-01T09:00", timeZone: plus1) == .at(base))
        #expect(ReservationTime(parsing: "2026-12-01T09:00+01:00", timeZone: utc) == .at(base))
        #expect(ReservationTime(parsing: "2026-12-01T07:00-0100", timeZone: utc) == .at(base))
        #expect(ReservationTime(parsing: "2026-12-01T08:00Z", timeZone: plus1) == .at(base))
        #expect(ReservationTime(parsing: "2026-12-01", timeZone: utc) == .at(base - 8 * 3600))
        #expect(ReservationTime(parsing: "\(base)", timeZone: utc) == .at(base))
        for bad in [
            "", "+", "+soon", "tomorrow", "2026-02-30T08:00", "2026-12-01T25:00", "2026-12-01T08", "2026-12-01T08:00Q",
        ] {
            #expect(ReservationTime(parsing: bad, timeZone: utc) == nil, "\(bad)")
        }
        #expect(ReservationTime.fromNow(.minutes(90)).description == "+1h30m")
    }

    @Test func reserveReadsItsFlagsWithLocalTimes() throws {
        let r = try ReserveCommand.parse([
            "--nodes", "dgx[05-06]", "--start", "2026-12-01T08:00", "--duration", "4h", "--account", "etf,ipb",
            "--account", "mi-sanu", "--reason", "workshop", "--name", "ws-1",
        ]).request()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .current
        let local = calendar.date(from: DateComponents(year: 2026, month: 12, day: 1, hour: 8))!
        #expect(r.nodes == ["dgx05", "dgx06"])
        #expect(r.start == .at(Int64(local.timeIntervalSince1970)))
        #expect(r.duration == .hours(4))
        #expect(r.end == nil)
        #expect(r.accounts == ["etf", "ipb", "mi-sanu"])
        #expect(r.reason == "workshop")
        #expect(r.name == "ws-1")

        let relative = try ReserveCommand.parse(["--nodes", "dgx01", "--end", "+90m", "--reason", "x"]).request()
        #expect(relative.start == .now)
        #expect(relative.end == .fromNow(.minutes(90)))
        #expect(relative.duration == nil)
        let zoned = try ReserveCommand.parse(
            ["--nodes", "dgx01", "--start", "2026-12-01T08:00Z", "--duration", "30", "--reason", "x"]
        ).request()
        #expect(zoned.start == .at(1_796_112_000))
        #expect(zoned.duration == .minutes(30))
    }

    @Test(arguments: [
        (["--nodes", "dgx01", "--reason", "x"], "give --duration or --end"),
        (
            ["--nodes", "dgx01", "--duration", "1h", "--end", "+2h", "--reason", "x"],
            "give --duration or --end, not both"
        ),
        (["--nodes", "dgx[01-", "--duration", "1h", "--reason", "x"], "--nodes takes node names"),
        (["--nodes", "dgx01", "--duration", "soon", "--reason", "x"], "--duration takes a length"),
        (
            ["--nodes", "dgx01", "--start", "tomorrow", "--duration", "1h", "--reason", "x"],
            "--start takes a time (now, +2h, 2026-12-01T08:00 or 2026-12-01T08:00:00+01:00), not 'tomorrow'"
        ),
        (["--nodes", "dgx01", "--duration", "1h", "--reason", " "], "--reason must say why"),
        (["--nodes", "dgx01", "--duration", "1h", "--reason", "x", "--name", "a/b"], "--name takes letters"),
    ])
    func badFlagsAreUsageErrors(args: [String], message: String) throws {
        let r = try CLI.run(["reserve"] + args, environment: ["HOME": "/nonexistent-home", "RASPORED_TOKEN": "x"])
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("schedctl: error: \(message)"), "\(r.stderr)")
    }

    static func reservation(
        _ name: String, _ state: ReservationState, accounts: [String] = [], start: Int64 = 0
    ) -> ReservationView {
        ReservationView(
            name: name, nodes: ["dgx05", "dgx06"], start: start, end: start + 4 * 3600, accounts: accounts,
            reason: "firmware update", state: state, createdBy: "admin", created: 0)
    }

    @Test func reservationsReadAsATable() {
        let text = ReservationsCommand.table([
            Self.reservation("maint-1", .active), Self.reservation("ws-1", .planned, accounts: ["etf", "ipb"]),
        ])
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("NAME     STATE    NODES       START"))
        #expect(lines[0].hasSuffix("ACCOUNTS  REASON"))
        #expect(lines[1].hasPrefix("maint-1  active   dgx[05-06]  \(localTime(0))  \(localTime(4 * 3600))  -"))
        #expect(lines[1].hasSuffix("firmware update"))
        #expect(lines[2].contains("planned"))
        #expect(lines[2].contains("etf,ipb"))
        #expect(ReservationsCommand.table([]) == "No reservations.")
        #expect(
            ReserveCommand.line(Self.reservation("maint-1", .planned))
                == "Reserved maint-1: dgx[05-06] from \(localTime(0)) to \(localTime(4 * 3600)) (4h), maintenance (nobody's jobs)"
        )
        #expect(
            ReserveCommand.line(Self.reservation("ws-1", .planned, accounts: ["etf"])).hasSuffix(
                "(4h), for account etf"))
    }

    /// A job as the controller shows it, pending with a priority or running without.
    static func job(_ id: Int64, _ state: JobState, gpus: Int, priority: Double? = nil, submit: Int64 = 0) -> JobView {
        var j = Job(
            id: id, name: "train", user: "ana", account: "ivi", partition: "gpu", request: ResourceRequest(gpus: gpus),
            timeLimit: .hours(1), state: state, submitted: .seconds(submit), command: ["x"], workdir: "/")
        if state == .running {
            j.allocation = AllocationView(
                nodes: [
                    NodeAllocationView(
                        node: "dgx01", gpus: Array(0..<gpus), cores: [0], cpus: [0], numa: [0], memoryBytes: [:],
                        nics: [], scratchBytes: 0, exclusive: false)
                ], gpuModel: "H200", sharedStorageBytes: 0)
        }
        let p = priority.map {
            PriorityView(Priority(age: 0, fairShare: $0, size: 0, partition: 0, nice: 0), policy: .fairshare)
        }
        return JobView(j, priority: p)
    }

    @Test func underFairshareTheQueueListsPendingJobsInPriorityOrder() {
        let jobs = [
            Self.job(1, .pending, gpus: 1, priority: 100, submit: 10), Self.job(2, .running, gpus: 8),
            Self.job(3, .pending, gpus: 8, priority: 10166.7), Self.job(4, .pending, gpus: 2, priority: 100, submit: 5),
        ]
        let lines = QueueCommand.text(jobs, now: 20, policy: "fairshare").split(separator: "\n").map(String.init)
        #expect(lines.count == 6)
        #expect(lines[0].hasPrefix("ID  USER  NAME   STATE    PRIORITY  GPUS"))
        // Running first, then as the scheduler offers them: highest priority, then earlier submission.
        #expect(lines[1...4].map { $0.split(separator: " ").first } == ["2", "3", "4", "1"])
        #expect(lines[2].contains(" pending  10167 "))
        #expect(lines[5] == "Queue order: priority, highest first (policy fairshare, with backfill)")
        // Under fifo: by id, no PRIORITY column.
        let fifo = QueueCommand.text(jobs, now: 20, policy: "fifo").split(separator: "\n").map(String.init)
        #expect(fifo[1...4].map { $0.split(separator: " ").first } == ["1", "2", "3", "4"])
        #expect(!fifo[0].contains("PRIORITY"))
        #expect(fifo[5] == "Queue order: submission (policy fifo: every job that fits starts)")
    }

    @Test func showGivesThePriorityAndWhetherItOrdersTheQueue() {
        let p = Priority(age: 5.952, fairShare: 10000, size: 166.667, partition: 0, nice: 0)
        var j = Self.job(3, .pending, gpus: 8)
        j.priority = PriorityView(p, policy: .fairshare)
        let text = ShowCommand.text(j, now: 0)
        #expect(
            text.contains(
                "Priority:        10173 (age 5.95 + fair share 10000 + size 167 + partition 0); the queue is in priority order (policy fairshare)"
            ), "\(text)")
        j.priority = PriorityView(p, policy: .fifo)
        #expect(ShowCommand.text(j, now: 0).contains("; not used: the queue is in submission order (policy fifo)"))
    }
}
