import Foundation
import GRDB
import Testing

@testable import Controller

/// A token's life in the store: expiry, revocation, a row changed behind the store's back, last use.
@Suite struct TokenLifeTests {
    @Test func anExpiredTokenIsRefusedFromItsExpiryOnSayingWhen() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            let token = try store.createToken(user: "ana", role: .user, expires: t0 + 100, at: t0)
            let ana = Principal(tokenId: token.id, user: "ana", role: .user)
            #expect(try store.authenticate(token.secret, at: t0 + 99) == .valid(ana))
            #expect(try store.authenticate(token.secret, at: t0 + 100) == .expired(id: token.id, at: t0 + 100))
            #expect(try store.principal(token.secret, at: t0 + 5000) == nil)
            #expect(try store.token(token.id)?.expires == t0 + 100)
        }
    }

    @Test func aRevokedTokenIsRefusedOnTheNextCallAndItsRowStays() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            let token = try store.createToken(user: "ana", role: .user, at: t0)
            #expect(try store.principal(token.secret, at: t0) != nil)
            let revoked = try store.revokeToken(token.id, at: t0 + 1)
            #expect(revoked.revoked == t0 + 1)
            #expect(revoked.user == "ana")
            // The same second: the cache does not outlive a revocation.
            #expect(try store.authenticate(token.secret, at: t0 + 1) == .revoked(id: token.id, at: t0 + 1))
            #expect(try store.tokens().map(\.id) == [token.id])
            let again = #expect(throws: StateStoreError.self) { try store.revokeToken(token.id, at: t0 + 2) }
            #expect(again?.kind == .refused)
            #expect(again?.message == "token \(token.id) is revoked already")
            let none = #expect(throws: StateStoreError.self) { try store.revokeToken(999, at: t0 + 2) }
            #expect(none?.kind == .notFound)
        }
    }

    @Test func aRowChangedBehindTheStoreTakesEffectWithinTheRecheckBound() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            let deleted = try store.createToken(user: "ana", role: .user, at: t0)
            let revoked = try store.createToken(user: "bo", role: .user, at: t0)
            #expect(try store.principal(deleted.secret, at: t0) != nil)
            #expect(try store.principal(revoked.secret, at: t0) != nil)
            // As an admin with sqlite3 would, on another connection: the store's cache is not told.
            let other = try DatabaseQueue(path: store.path)
            try other.write { db in
                try db.execute(sql: "DELETE FROM tokens WHERE id = ?", arguments: [deleted.id])
                try db.execute(sql: "UPDATE tokens SET revoked = ? WHERE id = ?", arguments: [t0 + 1, revoked.id])
            }
            try other.close()
            let bound = StateStore.tokenRecheckSeconds
            #expect(try store.principal(deleted.secret, at: t0 + bound - 1) != nil, "cached until the bound")
            #expect(try store.authenticate(deleted.secret, at: t0 + bound) == .unknown)
            #expect(try store.authenticate(revoked.secret, at: t0 + bound) == .revoked(id: revoked.id, at: t0 + 1))
            // A clock set back reads the row again too.
            let fresh = try store.createToken(user: "cy", role: .user, at: t0)
            #expect(try store.principal(fresh.secret, at: t0 + 100) != nil)
            try store.pool.write { db in try db.execute(sql: "DELETE FROM tokens WHERE id = ?", arguments: [fresh.id]) }
            #expect(try store.authenticate(fresh.secret, at: t0 + 50) == .unknown)
        }
    }

    @Test func lastUseIsRecordedAtMostOncePerInterval() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            let token = try store.createToken(user: "ana", role: .user, at: t0)
            #expect(try store.token(token.id)?.lastUsed == nil)
            _ = try store.authenticate(token.secret, at: t0 + 10)
            #expect(try store.token(token.id)?.lastUsed == t0 + 10)
            // Within the interval (cached or read again): not written.
            for t in [t0 + 11, t0 + 30, t0 + 69] { _ = try store.authenticate(token.secret, at: t) }
            #expect(try store.token(token.id)?.lastUsed == t0 + 10)
            _ = try store.authenticate(token.secret, at: t0 + 10 + StateStore.lastUsedInterval)
            #expect(try store.token(token.id)?.lastUsed == t0 + 70)
            // A refused secret records nothing.
            _ = try store.revokeToken(token.id, at: t0 + 80)
            _ = try store.authenticate(token.secret, at: t0 + 200)
            #expect(try store.token(token.id)?.lastUsed == t0 + 70)
        }
    }

    @Test func aDatabaseFromBeforeExpiryKeepsItsTokensInForce() async throws {
        let digest = TokenSecret.digest("rsp_old")
        let dir = try await oldStateDirectory(
            upTo: "v5: what a job's run used",
            more:
                "INSERT INTO tokens (user, role, secret_sha256, created) VALUES ('root', 'admin', '\(digest)', \(t0));")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try StateStore(directory: dir, create: false)
        #expect(try store.principal("rsp_old", at: t0 + 86_400 * 3650)?.role == .admin)
        let token = try #require(try store.tokens().first)
        #expect(token.expires == nil)
        #expect(token.revoked == nil)
        #expect(token.created == t0)
        #expect(try store.auditRecords().isEmpty)
    }
}
