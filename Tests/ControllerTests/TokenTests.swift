import Foundation
import GRDB
import Testing

@testable import Controller

@Suite struct TokenTests {
    @Test func aTokenAuthenticatesAsItsHolder() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            let user = try store.createToken(user: "ana", role: .user, at: t0)
            let admin = try store.createToken(user: "root", role: .admin, at: t0)
            let agent = try store.createToken(user: "agent-dgx03", role: .agent, node: "dgx03", at: t0)
            #expect(user.secret.hasPrefix("rsp_"))
            #expect(user.secret.count == 4 + 43)
            #expect(Set([user.secret, admin.secret, agent.secret]).count == 3)
            #expect(try store.principal(user.secret, at: t0) == Principal(tokenId: user.id, user: "ana", role: .user))
            #expect(try store.principal(admin.secret, at: t0)?.role == .admin)
            #expect(
                try store.principal(agent.secret, at: t0)
                    == Principal(tokenId: agent.id, user: "agent-dgx03", role: .agent, node: "dgx03"))
            #expect(try store.principal("rsp_wrong", at: t0) == nil)
            #expect(try store.principal("", at: t0) == nil)
            #expect(try store.principal(user.secret + "x", at: t0) == nil)
        }
    }

    @Test func secretsAreStoredOnlyAsSHA256() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            let token = try store.createToken(user: "ana", role: .user, at: t0)
            let rows = try store.pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM tokens") }
            #expect(rows.count == 1)
            let row = try #require(rows.first)
            for column in row.columnNames {
                let text = row[column].map { "\($0)" } ?? ""
                #expect(!text.contains(token.secret), "column \(column) holds the secret")
            }
            // The digest is SHA-256 (a known vector checks the hashing itself).
            #expect(TokenSecret.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            #expect(row["secret_sha256"] as String? == TokenSecret.digest(token.secret))
            // Nor anywhere in the files on disk (database and WAL).
            try store.close()
            for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent(name))
                #expect(bytes.range(of: Data(token.secret.utf8)) == nil, "\(name) holds the secret")
            }
        }
    }

    @Test func agentTokensNeedANodeAndOthersTakeNone() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            let noNode = #expect(throws: StateStoreError.self) {
                try store.createToken(user: "a", role: .agent, at: t0)
            }
            #expect(noNode?.message == "an agent token needs its node")
            let withNode = #expect(throws: StateStoreError.self) {
                try store.createToken(user: "ana", role: .user, node: "dgx01", at: t0)
            }
            #expect(withNode?.kind == .invalid)
        }
    }

    @Test func aDeletedTokenNoLongerAuthenticates() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            let token = try store.createToken(user: "ana", role: .user, at: t0)
            #expect(try store.deleteToken(token.id))
            #expect(try store.principal(token.secret, at: t0) == nil)
            #expect(try store.deleteToken(token.id) == false)
        }
    }
}
