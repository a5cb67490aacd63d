import Foundation
import GRDB
import Testing

@testable import Controller
@testable import Scheduler

/// Reservations in the state store: round trips, names, and a database from before they existed.
@Suite struct ReservationStoreTests {
    static func record(_ name: String, start: Int64 = t0, nodes: [String] = ["dgx05", "dgx06"]) -> ReservationRecord {
        ReservationRecord(
            name: name, nodes: nodes, start: start, end: start + 3600, accounts: ["etf"], reason: "workshop",
            createdBy: "admin", created: t0)
    }

    @Test func reservationsAreKeptAsRecordedUntilDeleted() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            try store.addReservation(Self.record("late", start: t0 + 600))
            try store.addReservation(Self.record("early"))
            #expect(try store.reservations() == [Self.record("early"), Self.record("late", start: t0 + 600)])
            #expect(throws: StateStoreError.self) { try store.addReservation(Self.record("early", nodes: ["dgx01"])) }
            #expect(try store.deleteReservation(named: "early"))
            #expect(try !store.deleteReservation(named: "early"))
            // Reopened: still there.
            try store.close()
            let reopened = try StateStore(directory: dir, create: false)
            #expect(try reopened.reservations().map(\.name) == ["late"])
        }
    }

    @Test func aDatabaseWrittenBeforeReservationsIsMigratedAndKeepsItsJobs() async throws {
        // The schema as the arrays controller left it (v2), with a job and a drain in it.
        let dir = try await oldStateDirectory(
            upTo: "v2: job arrays and dependencies",
            more: """
                INSERT INTO node_states (node, state, reason, actor, since)
                VALUES ('dgx03', 'drain', 'ECC', 'admin', \(t0));
                """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let store = try StateStore(directory: dir, create: false)
            let applied = try await store.pool.read {
                try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations")
            }
            #expect(
                applied == [
                    "v1: jobs, node states, tokens", "v2: job arrays and dependencies", "v3: reservations",
                    "v4: job environments", "v5: what a job's run used", "v6: token expiry, last use and revocation",
                    "v7: the audit log", "v8: job times to the millisecond", "v9: job controls",
                    "v10: job runs, for accounting", "v11: job runs' GPU usage",
                ])
            let old = try #require(try store.job(1))
            #expect(old.name == "old")
            #expect(old.state == .pending)
            #expect(old.request.gpus == 2)
            #expect(try store.nodeState("dgx03")?.reason == "ECC")
            #expect(try store.reservations().isEmpty)
            try store.addReservation(Self.record("maint-1"))
            #expect(try store.reservations().map(\.name) == ["maint-1"])
            // A controller starts on it and honours the reservation.
            let core = try ControllerCore(
                spec: try platformSpec(), store: store, settings: noAgents, logger: quietLogger, clock: { t0 })
            #expect(await core.book.reservations.reservations.map(\.nodes) == [[4, 5]])
        }
    }
}
