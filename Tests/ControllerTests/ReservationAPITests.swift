import Foundation
import Hummingbird
import HummingbirdTesting
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// `/v1/reservations` over real HTTP on loopback: roles, bodies refused with their reasons, create, list,
/// delete.
@Suite struct ReservationAPITests {
    static let body = #"{"nodes": "dgx[05-06]", "start": "now", "duration": "4h", "reason": "firmware update"}"#

    static let workshop =
        #"{"nodes": ["dgx01", "dgx02"], "start": "2023-11-15T08:00:00Z", "end": "2023-11-15T09:30+01:00", "accounts": "etf,ipb", "reason": "workshop", "name": "ws-1"}"#

    /// The admin's two reservations: maint-1 (dgx05-06, now for 4 h) and ws-1 (dgx01-02, later, for two
    /// accounts). Returns the responses.
    static func createBoth(_ api: LiveAPI) async throws -> (made: TestResponse, later: TestResponse) {
        let made = try await api.call(.post, "/v1/reservations", as: "admin", body: body)
        let later = try await api.call(.post, "/v1/reservations", as: "admin", body: workshop)
        return (made, later)
    }

    @Test func readingReservationsNeedsAToken() async throws {
        try await withLiveAPI { api in
            let r = try await api.call(.get, "/v1/reservations", as: nil)
            #expect(r.status == .unauthorized)
        }
    }

    @Test func aUserMayNotCreateAReservation() async throws {
        try await withLiveAPI { api in
            let user = try await api.call(.post, "/v1/reservations", body: Self.body)
            #expect(user.status == .forbidden)
            #expect(user.error == "only an admin may create a reservation; ana is not one")
        }
    }

    @Test func anAdminsReservationStartingNowIsActiveAtOnce() async throws {
        try await withLiveAPI { api in
            let r = try await Self.createBoth(api).made
            #expect(r.status == .created, "\(r.error ?? "")")
            let made = try r.decode(ReservationCreated.self)
            #expect(made.reservation.name == "maint-1")
            #expect(made.reservation.nodes == ["dgx05", "dgx06"])
            #expect(made.reservation.start == t0)
            #expect(made.reservation.end == t0 + 4 * 3600)
            #expect(made.reservation.state == .active)
            #expect(made.warnings.isEmpty)
        }
    }

    @Test func aLaterReservationForAccountsTakesItsTimesAndIsPlanned() async throws {
        try await withLiveAPI { api in
            let later = try await Self.createBoth(api).later
            #expect(later.status == .created, "\(later.error ?? "")")
            let ws = try later.decode(ReservationCreated.self).reservation
            #expect(ws.start == 1_700_035_200)
            #expect(ws.end == 1_700_037_000)
            #expect(ws.accounts == ["etf", "ipb"])
            #expect(ws.state == .planned)
        }
    }

    @Test func everyoneListsTheReservationsAndTheNodesNameTheirs() async throws {
        try await withLiveAPI { api in
            _ = try await Self.createBoth(api)
            let listed = try await api.call(.get, "/v1/reservations")
            #expect(listed.status == .ok)
            #expect(try listed.decode(ReservationList.self).reservations.map(\.name) == ["maint-1", "ws-1"])
            let nodes = try await api.call(.get, "/v1/nodes").decode(NodeList.self).nodes
            #expect(nodes.map(\.reservation) == [nil, nil, nil, nil, "maint-1", "maint-1"])
        }
    }

    @Test func aListWithAnUnreadableAllIsABadRequest() async throws {
        try await withLiveAPI { api in
            let r = try await api.call(.get, "/v1/reservations?all=maybe")
            #expect(r.status == .badRequest)
        }
    }

    @Test func onlyAnAdminDeletesAReservationAndOnlyOnce() async throws {
        try await withLiveAPI { api in
            _ = try await Self.createBoth(api)
            let byUser = try await api.call(.delete, "/v1/reservations/maint-1")
            #expect(byUser.status == .forbidden)
            #expect(byUser.error == "only an admin may delete a reservation; ana is not one")
            let deleted = try await api.call(.delete, "/v1/reservations/maint-1", as: "admin")
            let deletedView = try deleted.decode(ReservationView.self)
            #expect(deleted.status == .ok)
            #expect(deletedView.name == "maint-1")
            let again = try await api.call(.delete, "/v1/reservations/maint-1", as: "admin")
            #expect(again.status == .notFound)
            #expect(again.error == "no reservation 'maint-1'")
        }
    }

    @Test func anOverlappingReservationIsAConflictNamingTheOther() async throws {
        try await withLiveAPI { api in
            _ = try await Self.createBoth(api)
            let overlap = try await api.call(
                .post, "/v1/reservations", as: "admin",
                body: #"{"nodes": "dgx02", "start": "2023-11-15T08:15Z", "duration": 30, "reason": "x"}"#)
            #expect(overlap.status == .conflict)
            #expect(
                overlap.error
                    == "dgx02 is already reserved from 2023-11-15 08:00 UTC to 2023-11-15 08:30 UTC (ws-1: workshop)")
        }
    }

    @Test(arguments: [
        (
            #"{"nodes": "dgx[05-", "duration": "1h", "reason": "x"}"#,
            "line 1: nodes: 'dgx[05-' is not a host list (dgx05,dgx06 or dgx[05-06])"
        ),
        (#"{"nodes": "dgx05", "duration": "1h"}"#, "missing 'reason'"),
        (#"{"nodes": "dgx05", "duration": "1h", "reason": "  "}"#, "a reservation needs a reason"),
        (#"{"nodes": "dgx05", "reason": "x"}"#, "a reservation needs a duration or an end"),
        (#"{"nodes": "dgx05", "duration": "1h", "end": "+2h", "reason": "x"}"#, "give a duration or an end, not both"),
        (#"{"nodes": "dgx05", "duration": "0s", "reason": "x"}"#, "duration: a reservation must last longer than 0"),
        (
            #"{"nodes": "dgx05", "start": "tomorrow", "duration": "1h", "reason": "x"}"#,
            "line 1: start: 'tomorrow' is not a time (now, +2h, 2026-12-01T08:00 or 2026-12-01T08:00:00+01:00)"
        ),
        (
            #"{"nodes": "dgx05", "duration": "1h", "reason": "x", "acounts": "etf"}"#,
            "unknown field 'acounts' (did you mean 'accounts'?)"
        ),
        (#"{"nodes": "dgx05", "duration": "1h", "reason": "x", "name": "a b"}"#, "a reservation's name is letters"),
        (#"{"nodes": "dgx09", "duration": "1h", "reason": "x"}"#, "unknown node 'dgx09' (nodes: dgx01…dgx06)"),
        (
            #"{"nodes": "dgx05", "duration": "1h", "reason": "x", "accounts": ["etf", "xyz"]}"#,
            "unknown account 'xyz' (accounts: ivi, etf, pmf-ns, ipb, mi-sanu)"
        ),
        (
            #"{"nodes": "dgx05", "start": "2023-11-14T08:00Z", "end": "2023-11-14T09:00Z", "reason": "x"}"#,
            "the window is already over: it ends at 2023-11-14 09:00 UTC, before now (2023-11-14 22:13 UTC)"
        ),
        (
            #"{"nodes": "dgx05", "start": "+2h", "end": "+1h", "reason": "x"}"#,
            "a reservation must end after it starts (start 2023-11-15 00:13 UTC, end 2023-11-14 23:13 UTC)"
        ),
        ("", "the request body is empty; expected a JSON object"),
    ])
    func badRequestsAreRefusedPrecisely(body: String, message: String) async throws {
        try await withLiveAPI { api in
            let r = try await api.call(.post, "/v1/reservations", as: "admin", body: body)
            #expect(r.status == .badRequest)
            #expect(r.error?.contains(message) == true, "\(r.error ?? String(buffer: r.body))")
            #expect(try await api.call(.get, "/v1/reservations").decode(ReservationList.self).reservations.isEmpty)
        }
    }
}
