import Foundation
import Hummingbird
import HummingbirdTesting
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// The audit log: every admin action, done or refused, with who, what, on what and how it ended; read by
/// admins only, with filters.
@Suite struct AuditTests {
    /// (action, target, outcome) of every entry, oldest first.
    func summary(_ entries: [AuditEntry]) -> [String] {
        entries.map { "\($0.action) \($0.target) \($0.outcome)" }
    }

    @Test func everyAdminActionIsRecordedAndUsersOwnActionsAreNot() async throws {
        try await withLiveAPI { api in
            func call(_ method: HTTPRequest.Method, _ uri: String, as user: String = "admin", body: String? = nil)
                async throws -> TestResponse
            {
                try await api.call(method, uri, as: user, body: body)
            }
            let anasJob = try await call(.post, "/v1/jobs", as: "ana", body: jobBody(gpus: 1)).decode(JobView.self)
            let bosJob = try await call(.post, "/v1/jobs", as: "bo", body: jobBody(gpus: 1)).decode(JobView.self)
            #expect(try await call(.post, "/v1/nodes/dgx01/drain", body: #"{"reason": "ECC errors"}"#).status == .ok)
            #expect(try await call(.post, "/v1/nodes/dgx01/resume").status == .ok)
            #expect(try await call(.post, "/v1/nodes/dgx09/resume").status == .notFound)
            let reservation = #"{"nodes": "dgx05", "duration": "4h", "reason": "firmware"}"#
            #expect(try await call(.post, "/v1/reservations", body: reservation).status == .created)
            #expect(try await call(.delete, "/v1/reservations/maint-1").status == .ok)
            let token = try await call(.post, "/v1/tokens", body: #"{"user": "cy", "expires": "90d"}"#)
                .decode(TokenView.self)
            #expect(try await call(.post, "/v1/tokens/\(token.id)/revoke").status == .ok)
            #expect(try await call(.post, "/v1/jobs/\(anasJob.id)/cancel").status == .ok)
            // Not admin actions: a user's cancel of their own job, and refusals of non-admins.
            #expect(try await call(.post, "/v1/jobs/\(bosJob.id)/cancel", as: "bo").status == .ok)
            #expect(try await call(.post, "/v1/nodes/dgx02/resume", as: "bo").status == .forbidden)
            #expect(try await call(.post, "/v1/tokens", as: "bo", body: #"{"user": "bo"}"#).status == .forbidden)

            let r = try await call(.get, "/v1/audit")
            #expect(r.status == .ok)
            let entries = try r.decode(AuditList.self).entries
            #expect(
                summary(entries) == [
                    "node.drain dgx01 ok", "node.resume dgx01 ok", "node.resume dgx09 refused",
                    "reservation.create maint-1 ok", "reservation.delete maint-1 ok",
                    "token.create token \(token.id) ok", "token.revoke token \(token.id) ok",
                    "job.cancel job \(anasJob.id) ok",
                ])
            #expect(entries.allSatisfy { $0.user == "admin" && $0.tokenId == 3 && $0.time == t0 })
            #expect(entries.map(\.id) == entries.map(\.id).sorted())
            #expect(entries[0].detail == "ECC errors")
            #expect(entries[2].detail == "unknown node 'dgx09' (nodes: dgx01…dgx06)")
            #expect(
                entries[3].detail == "dgx05 from 2023-11-14 22:13 UTC to 2023-11-15 02:13 UTC, maintenance: firmware")
            #expect(entries[5].detail == "user token for cy, expires 2024-02-12 22:13 UTC")
            #expect(entries[6].detail == "user token of cy")
            #expect(entries[7].detail == "job of ana")
        }
    }

    @Test func readingTheLogTakesFiltersAndIsForAdminsOnly() async throws {
        let clock = TestClock()
        try await withLiveAPI(clock: clock.read) { api in
            for (i, node) in ["dgx01", "dgx02", "dgx03"].enumerated() {
                clock.set(t0 + Int64(i) * 100)
                _ = try await api.call(.post, "/v1/nodes/\(node)/resume", as: "admin")
            }
            let second = try await api.core.createToken(TokenRequest(user: "ops", admin: true), by: root)
            _ = try await api.call(.post, "/v1/nodes/dgx04/resume", as: second.secret)

            func targets(_ query: String) async throws -> [String] {
                let r = try await api.call(.get, "/v1/audit" + query, as: "admin")
                #expect(r.status == .ok, "\(query): \(r.error ?? "")")
                return try r.decode(AuditList.self).entries.map(\.target)
            }
            #expect(try await targets("") == ["dgx01", "dgx02", "dgx03", "token 4", "dgx04"])
            #expect(try await targets("?since=\(t0 + 100)") == ["dgx02", "dgx03", "token 4", "dgx04"])
            #expect(try await targets("?actor=ops") == ["dgx04"])
            #expect(try await targets("?limit=2") == ["token 4", "dgx04"])
            #expect(try await targets("?actor=admin&since=\(t0 + 150)&limit=1") == ["token 4"])
            #expect(try await targets("?actor=nobody").isEmpty)

            for (query, error) in [
                ("?limit=0", "limit is the most entries to list (1 to 10000), not '0'"),
                ("?limit=10001", "limit is the most entries to list (1 to 10000), not '10001'"),
                ("?since=yesterday", "since is a time in seconds since the epoch (0 or more), not 'yesterday'"),
                ("?since=-5", "since is a time in seconds since the epoch (0 or more), not '-5'"),
                ("?user=admin", "unknown query parameter 'user' (known: actor, limit, since)"),
            ] {
                let r = try await api.call(.get, "/v1/audit" + query, as: "admin")
                #expect(r.status == .badRequest, "\(query)")
                #expect(r.error == error, "\(query)")
            }
            let user = try await api.call(.get, "/v1/audit", as: "ana")
            #expect(user.status == .forbidden)
            #expect(user.error == "only an admin may read the audit log; ana is not one")
            #expect(try await api.call(.get, "/v1/audit", as: nil).status == .unauthorized)
        }
    }

    @Test func reloadsAreRecordedWithTheFileTheControllerAndTheOutcome() async throws {
        try await withCore { core, store, dir in
            let spec = try platformSpec()
            _ = try await core.reloadCluster(spec, by: Principal(tokenId: 0, user: "schedulerd (SIGHUP)", role: .admin))
            let bad = dir + "/broken.yaml"
            try "nodes: [".write(toFile: bad, atomically: true, encoding: .utf8)
            await #expect(throws: ControllerError.self) { try await core.reloadCluster(file: bad, by: root) }
            let records = try store.auditRecords()
            #expect(records.map(\.action) == [.clusterReload, .clusterReload])
            #expect(records[0].user == "schedulerd (SIGHUP)")
            #expect(records[0].tokenId == nil)
            #expect(records[0].target == "cluster description")
            #expect(records[0].outcome == .ok)
            #expect(records[0].detail == "6 nodes")
            #expect(records[1].target == bad)
            #expect(records[1].outcome == .refused)
            #expect(records[1].tokenId == 3)
            #expect(records[1].detail?.hasPrefix("cluster description not reloaded: ") == true)
        }
    }

    @Test func anAdminsCancelOfAnArrayOfAnotherUserIsRecordedOnceAndAFailedOneToo() async throws {
        try await withCore { core, store, _ in
            let array = try await core.submit(try submit(gpus: 1, array: "0-2"), by: ana)
            _ = try await core.cancel(.job(array.id), by: root)
            await #expect(throws: ControllerError.self) { try await core.cancel(.job(array.id), by: root) }
            // An admin's own job is not another user's.
            let own = try await core.submit(submit(gpus: 1), by: root)
            _ = try await core.cancel(.job(own.id), by: root)
            let records = try store.auditRecords()
            #expect(records.map(\.target) == ["job \(array.id)", "job \(array.id)"])
            #expect(records.map(\.outcome) == [.ok, .refused])
            #expect(records[0].detail == "array of ana (3 tasks)")
            #expect(records[1].detail?.hasPrefix("array \(array.id)") == true, "\(records[1].detail ?? "")")
        }
    }
}
