import Foundation
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// Reservations on the real core and store: refusals, the engine keeping jobs out of windows, the end of a
/// window, deletion, accounts granted, restarts.
@Suite struct ReservationTests {
    static func maintenance(
        _ nodes: [String], start: ReservationTime = .now, duration: TimeSpan? = .hours(2), end: ReservationTime? = nil,
        accounts: [String] = [], reason: String = "firmware update", name: String? = nil
    ) -> ReservationRequest {
        ReservationRequest(
            nodes: nodes, start: start, duration: end == nil ? duration : nil, end: end, accounts: accounts,
            reason: reason, name: name)
    }

    /// Every node but dgx06 drained, and maintenance maint-1 of dgx06 from 30 minutes on (for 2 h).
    static func reserveDgx06InHalfAnHour(_ core: ControllerCore) async throws -> ReservationCreated {
        try await drainAllBut("dgx06", core)
        return try await core.reserve(maintenance(["dgx06"], start: .fromNow(.minutes(30))), by: root)
    }

    @Test func aReservationLaterOnIsPlannedForItsWindow() async throws {
        try await withClockedCore { core, _, _ in
            let made = try await Self.reserveDgx06InHalfAnHour(core)
            #expect(made.warnings.isEmpty)
            let r = made.reservation
            #expect(r.name == "maint-1")
            #expect(r.nodes == ["dgx06"])
            #expect(r.state == .planned)
            #expect(r.createdBy == "admin")
            #expect(r.start == t0 + 1800)
            #expect(r.end == t0 + 1800 + 7200)
            #expect(r.accounts.isEmpty)
        }
    }

    @Test func aJobWhoseTimeLimitReachesIntoTheWindowWaitsNamingItAndStartsOnceItIsOver() async throws {
        try await withClockedCore { core, store, clock in
            _ = try await Self.reserveDgx06InHalfAnHour(core)
            let long = try await core.submit(job(gpus: 1, time: .hours(1)), by: ana)
            #expect(long.state == .pending)
            let reason = try #require(long.pendingReason)
            #expect(
                reason.contains(
                    "its time limit would reach into a reservation: dgx06 reserved (maint-1: firmware update)"),
                "\(reason)")
            // A job that ends before the window starts runs there now.
            let short = try await core.submit(job(gpus: 1, time: .minutes(20)), by: ana)
            #expect(short.state == .running)
            #expect(short.allocation?.nodes.map(\.node) == ["dgx06"])
            #expect(try await core.node("dgx06").reservation == nil)

            clock.set(t0 + 3600)
            #expect(try await core.node("dgx06").reservation == "maint-1")
            #expect(try await core.reservations().map(\.state) == [.active])
            await core.sweep()
            #expect(try await core.job(long.id, by: ana).state == .pending)

            // The window ends: the next sweep runs a pass and the job starts.
            clock.set(t0 + 1800 + 7200)
            await core.sweep()
            let started = try await core.job(long.id, by: ana)
            #expect(started.state == .running)
            #expect(started.allocation?.nodes.map(\.node) == ["dgx06"])
            #expect(started.startTime == t0 + 9000)
            #expect(try await core.node("dgx06").reservation == nil)
            // Kept as history: listed with --all, ended.
            #expect(try await core.reservations().isEmpty)
            #expect(try await core.reservations(includeEnded: true).map(\.state) == [.ended])
            #expect(try store.reservations().map(\.name) == ["maint-1"])
            #expect(await core.clusterState.invariantViolations().isEmpty)
        }
    }

    @Test func deletingTheReservationStartsTheWaitingJobAtOnce() async throws {
        try await withClockedCore { core, store, _ in
            try await drainAllBut("dgx06", core)
            _ = try await core.reserve(Self.maintenance(["dgx06"]), by: root)
            let waiting = try await core.submit(job(gpus: 8), by: ana)
            #expect(waiting.state == .pending)
            #expect(waiting.pendingReason?.contains("maint-1") == true)
            await #expect(throws: ControllerError(.forbidden, "only an admin may delete a reservation; ana is not one"))
            {
                try await core.unreserve("maint-1", by: ana)
            }
            await #expect(throws: ControllerError(.notFound, "no reservation 'maint-9'")) {
                try await core.unreserve("maint-9", by: root)
            }
            let gone = try await core.unreserve("maint-1", by: root)
            #expect(gone.name == "maint-1")
            #expect(gone.state == .active)
            #expect(try store.reservations().isEmpty)
            let now = try await core.job(waiting.id, by: ana)
            #expect(now.state == .running)
            #expect(now.allocation?.nodes.map(\.node) == ["dgx06"])
        }
    }

    @Test func jobsOfAnAccountGrantedTheReservationRunInsideIt() async throws {
        try await withClockedCore { core, _, clock in
            try await drainAllBut("dgx06", core)
            let made = try await core.reserve(
                Self.maintenance(["dgx06"], accounts: ["etf"], reason: "etf workshop"), by: root)
            #expect(made.reservation.name == "resv-1")
            #expect(made.reservation.accounts == ["etf"])
            #expect(made.reservation.state == .active)
            let other = try await core.submit(job(gpus: 4, account: "ivi"), by: ana)
            #expect(other.state == .pending)
            #expect(other.pendingReason?.contains("dgx06 reserved (resv-1: etf workshop)") == true)
            let granted = try await core.submit(job(gpus: 4, account: "etf"), by: bo)
            #expect(granted.state == .running)
            #expect(granted.allocation?.nodes.map(\.node) == ["dgx06"])
            #expect(try await core.node("dgx06").reservation == "resv-1")
            // Inside the window a granted job longer than what is left of it also runs.
            clock.set(t0 + 3600)
            let late = try await core.submit(job(gpus: 2, time: .hours(4), account: "etf"), by: bo)
            #expect(late.state == .running)
            #expect(try await core.job(other.id, by: ana).state == .pending)
        }
    }

    @Test func refusalsSayExactlyWhyAndRecordNothing() async throws {
        try await withClockedCore { core, store, _ in
            await #expect(throws: ControllerError(.forbidden, "only an admin may create a reservation; ana is not one"))
            {
                try await core.reserve(Self.maintenance(["dgx06"]), by: ana)
            }
            await #expect(throws: ControllerError(.badRequest, "unknown node 'dgx09' (nodes: dgx01…dgx06)")) {
                try await core.reserve(Self.maintenance(["dgx05", "dgx09"]), by: root)
            }
            await #expect(
                throws: ControllerError(
                    .badRequest, "unknown account 'nope' (accounts: ivi, etf, pmf-ns, ipb, mi-sanu)")
            ) { try await core.reserve(Self.maintenance(["dgx05"], accounts: ["etf", "nope"]), by: root) }
            await #expect(
                throws: ControllerError(
                    .badRequest,
                    "a reservation must end after it starts (start 2023-11-15 00:13 UTC, end 2023-11-14 23:13 UTC)")
            ) {
                try await core.reserve(
                    Self.maintenance(["dgx05"], start: .at(t0 + 7200), end: .at(t0 + 3600)), by: root)
            }
            await #expect(
                throws: ControllerError(
                    .badRequest,
                    "the window is already over: it ends at 2023-11-14 21:13 UTC, before now (2023-11-14 22:13 UTC)")
            ) {
                try await core.reserve(
                    Self.maintenance(["dgx05"], start: .at(t0 - 7200), end: .at(t0 - 3600)), by: root)
            }
            #expect(try store.reservations().isEmpty)

            let first = try await core.reserve(
                Self.maintenance(["dgx05", "dgx06"], start: .fromNow(.hours(1)), reason: "PDU swap"), by: root)
            #expect(first.reservation.name == "maint-1")
            await #expect(
                throws: ControllerError(
                    .conflict,
                    "dgx06 is already reserved from 2023-11-14 23:13 UTC to 2023-11-15 01:13 UTC (maint-1: PDU swap)")
            ) { try await core.reserve(Self.maintenance(["dgx06"], start: .fromNow(.hours(2))), by: root) }
            await #expect(throws: ControllerError(.conflict, "a reservation named 'maint-1' exists")) {
                try await core.reserve(Self.maintenance(["dgx01"], name: "maint-1"), by: root)
            }
            // Back to back on the same node, or at once on another node: fine.
            let after = try await core.reserve(Self.maintenance(["dgx06"], start: .fromNow(.hours(3))), by: root)
            let elsewhere = try await core.reserve(Self.maintenance(["dgx04"], name: "pdu-b"), by: root)
            #expect(after.reservation.name == "maint-2")
            #expect(elsewhere.reservation.name == "pdu-b")
            // A start in the past begins the window now.
            let past = try await core.reserve(
                Self.maintenance(["dgx03"], start: .at(t0 - 600), end: .at(t0 + 600)), by: root)
            #expect(past.reservation.start == t0)
            #expect(past.reservation.state == .active)
            // Everyone may list them, earliest start first (then by name).
            #expect(try await core.reservations().map(\.name) == ["maint-3", "pdu-b", "maint-1", "maint-2"])
            #expect(try store.reservations().count == 4)
        }
    }

    @Test func runningJobsAreLeftAloneAndNamedWhenTheyWouldRunIntoTheWindow() async throws {
        try await withClockedCore { core, _, _ in
            let running = try await core.submit(job(gpus: 8, time: .hours(1)), by: ana)
            #expect(running.allocation?.nodes.map(\.node) == ["dgx01"])
            let made = try await core.reserve(Self.maintenance(["dgx01"], start: .fromNow(.minutes(30))), by: root)
            #expect(
                made.warnings == [
                    "job \(running.id) (ana, account ivi) on dgx01 may run until 2023-11-14 23:13 UTC, into the window; "
                        + "the reservation does not stop it (cancel it to free the node)"
                ])
            #expect(try await core.job(running.id, by: ana).state == .running)
            // A window after its time limit: nothing to say.
            let later = try await core.reserve(
                Self.maintenance(["dgx01"], start: .fromNow(.hours(3)), name: "later"), by: root)
            #expect(later.warnings.isEmpty)
        }
    }

    @Test func reservationsSurviveRestartsAndReloadsAndSkipNodesNoLongerInTheCluster() async throws {
        try await withClockedCore { core, store, clock in
            _ = try await core.reserve(Self.maintenance(["dgx05", "dgx06"], reason: "rack move"), by: root)
            let again = try ControllerCore(
                spec: try platformSpec(), store: store, settings: noAgents, logger: quietLogger, clock: clock.read)
            #expect(try await again.reservations().map(\.name) == ["maint-1"])
            #expect(await again.book.reservations.reservations.map(\.nodes) == [[4, 5]])
            try await drainAllBut("dgx06", again)
            let waiting = try await again.submit(job(gpus: 1), by: ana)
            #expect(waiting.pendingReason?.contains("dgx05, dgx06 reserved (maint-1: rack move)") == true)
            // A reload keeps it.
            _ = try await again.reloadCluster(try platformSpec(), by: root)
            #expect(await again.book.reservations.reservations.map(\.name) == ["maint-1"])

            // dgx06 leaves cluster.yaml: the reservation holds dgx05 alone, and is kept as recorded.
            var smaller = try platformSpec()
            smaller.nodes.removeAll { $0.name == "dgx06" }
            for i in smaller.partitions.indices { smaller.partitions[i].nodes.removeAll { $0 == "dgx06" } }
            let third = try ControllerCore(
                spec: smaller, store: store, settings: noAgents, logger: quietLogger, clock: clock.read)
            #expect(await third.book.reservations.reservations.map(\.nodes) == [[4]])
            #expect(try await third.reservations().map(\.nodes) == [["dgx05", "dgx06"]])
            // Over by the next start: not in the book, still in the store.
            clock.set(t0 + 7200)
            let fourth = try ControllerCore(
                spec: try platformSpec(), store: store, settings: noAgents, logger: quietLogger, clock: clock.read)
            #expect(await fourth.book.reservations.isEmpty)
            #expect(try await fourth.reservations(includeEnded: true).map(\.state) == [.ended])
        }
    }
}

/// Dry runs and submissions see what a pass sees: reservations and account limits.
@Suite struct DryRunPolicyTests {
    @Test func aDryRunSaysAReservationWouldKeepTheJobOut() async throws {
        try await withClockedCore { core, _, _ in
            try await drainAllBut("dgx06", core)
            _ = try await core.reserve(ReservationTests.maintenance(["dgx06"], start: .fromNow(.minutes(30))), by: root)
            let long = try await core.dryRun(job(gpus: 1, time: .hours(1)), by: ana)
            #expect(long.allocation == nil)
            #expect(long.reason?.contains("dgx06 reserved (maint-1: firmware update)") == true, "\(long.reason ?? "")")
            let short = try await core.dryRun(job(gpus: 1, time: .minutes(20)), by: ana)
            #expect(short.allocation?.nodes.map(\.node) == ["dgx06"])
        }
    }

    @Test func limitsRefuseWhatCanNeverRunAndHoldWhatMustWait() async throws {
        var spec = try platformSpec()
        let etf = spec.accounts.firstIndex { $0.name == "etf" }!
        spec.accounts[etf].limits = AccountLimits(gpus: 8)
        try await withClockedCore(spec: spec) { core, _, _ in
            await #expect(throws: ControllerError.self) {
                try await core.submit(job(gpus: 16, account: "etf"), by: bo)
            }
            do {
                _ = try await core.submit(job(gpus: 16, account: "etf"), by: bo)
            } catch {
                #expect("\(error)".contains("16 GPUs requested; account etf may hold 8 at once"), "\(error)")
            }
            let first = try await core.submit(job(gpus: 8, account: "etf"), by: bo)
            #expect(first.state == .running)
            let second = try await core.submit(job(gpus: 1, account: "etf"), by: bo)
            #expect(second.state == .pending)
            #expect(second.pendingReason == "account etf has 8 GPUs in use and may hold 8 (this job asks for 1)")
            let dry = try await core.dryRun(job(gpus: 1, account: "etf"), by: bo)
            #expect(dry.allocation == nil)
            #expect(dry.reason == second.pendingReason)
        }
    }
}
