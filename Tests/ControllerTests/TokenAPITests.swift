import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RasporedAPI
import Testing

@testable import Controller

/// `/v1/tokens` over HTTP: listing without secrets, revocation at once, expiry, and admins only.
@Suite struct TokenAPITests {
    @Test func adminsListTokensWithoutTheirSecretsAndOthersAreRefused() async throws {
        try await withLiveAPI { api in
            let r = try await api.call(.get, "/v1/tokens", as: "admin")
            #expect(r.status == .ok)
            let list = try r.decode(TokenList.self)
            #expect(list.tokens.map(\.user) == ["ana", "bo", "admin"])
            #expect(list.tokens.map(\.role) == ["user", "user", "admin"])
            #expect(list.tokens.allSatisfy { $0.created == t0 && $0.expires == nil && $0.revoked == nil })
            // The admin's own request was its first use; the others were never used.
            #expect(list.tokens.map(\.lastUsed) == [nil, nil, t0])
            let text = String(buffer: r.body)
            for secret in api.tokens.values { #expect(!text.contains(secret)) }
            for secret in api.tokens.values { #expect(!text.contains(TokenSecret.digest(secret))) }
            #expect(!text.contains("secret"))
            #expect(!text.contains("sha256"))

            let refused = try await api.call(.get, "/v1/tokens", as: "ana")
            #expect(refused.status == .forbidden)
            #expect(refused.error == "only an admin may list tokens; ana is not one")
        }
    }

    @Test func aRevokedTokenIsRefusedOnTheVeryNextRequest() async throws {
        try await withLiveAPI { api in
            let made = try await api.call(.post, "/v1/tokens", as: "admin", body: #"{"user": "cy"}"#)
            #expect(made.status == .created)
            let cy = try made.decode(TokenView.self)
            #expect(try await api.call(.get, "/v1/jobs", as: cy.secret).status == .ok)

            let revoked = try await api.call(.post, "/v1/tokens/\(cy.id)/revoke", as: "admin")
            #expect(revoked.status == .ok)
            #expect(try revoked.decode(TokenInfo.self).revoked == t0)
            let refused = try await api.call(.get, "/v1/jobs", as: cy.secret)
            #expect(refused.status == .unauthorized)
            #expect(refused.error == "token \(cy.id) was revoked at 2023-11-14 22:13 UTC")
            #expect(refused.headers[.wwwAuthenticate] == "Bearer realm=\"raspored\"")

            let twice = try await api.call(.post, "/v1/tokens/\(cy.id)/revoke", as: "admin")
            #expect(twice.status == .conflict)
            #expect(twice.error == "token \(cy.id) is revoked already")
            #expect(try await api.call(.post, "/v1/tokens/999/revoke", as: "admin").error == "no token 999")
            let bad = try await api.call(.post, "/v1/tokens/x/revoke", as: "admin")
            #expect(bad.status == .badRequest)
            #expect(bad.error == "a token id is a positive number, not 'x'")
            let user = try await api.call(.post, "/v1/tokens/1/revoke", as: "bo")
            #expect(user.status == .forbidden)
            #expect(user.error == "only an admin may revoke tokens; bo is not one")
            // bo's own token (id 2) still works: the refusal changed nothing.
            #expect(try await api.call(.get, "/v1/jobs", as: "bo").status == .ok)
        }
    }

    @Test func theLastAdminTokenInForceIsNotRevoked() async throws {
        try await withLiveAPI { api in
            let refused = try await api.call(.post, "/v1/tokens/3/revoke", as: "admin")
            #expect(refused.status == .conflict)
            #expect(refused.error == "token 3 is the last admin token in force; create another admin token first")
            let second = try await api.call(.post, "/v1/tokens", as: "admin", body: #"{"user": "ops", "admin": true}"#)
                .decode(TokenView.self)
            #expect(try await api.call(.post, "/v1/tokens/3/revoke", as: "admin").status == .ok)
            #expect(try await api.call(.get, "/v1/tokens", as: "admin").status == .unauthorized)
            #expect(try await api.call(.get, "/v1/tokens", as: second.secret).status == .ok)
        }
    }

    @Test func anExpiredTokenIsRefusedSayingWhenItExpired() async throws {
        let clock = TestClock()
        try await withLiveAPI(clock: clock.read) { api in
            let made = try await api.call(.post, "/v1/tokens", as: "admin", body: #"{"user": "cy", "expires": "1h"}"#)
            #expect(made.status == .created)
            let cy = try made.decode(TokenView.self)
            #expect(cy.expires == t0 + 3600)
            clock.set(t0 + 3599)
            #expect(try await api.call(.get, "/v1/jobs", as: cy.secret).status == .ok)
            clock.set(t0 + 3600)
            let refused = try await api.call(.get, "/v1/jobs", as: cy.secret)
            #expect(refused.status == .unauthorized)
            #expect(refused.error == "token \(cy.id) expired at 2023-11-14 23:13 UTC; an admin can create a new one")
            let listed = try await api.call(.get, "/v1/tokens", as: "admin").decode(TokenList.self)
            #expect(listed.tokens.last?.expires == t0 + 3600)
            #expect(listed.tokens.last?.lastUsed == t0 + 3599)
        }
    }

    @Test func expiresTakesADurationOfAtMostTenYears() async throws {
        try await withLiveAPI { api in
            func create(_ expires: String) async throws -> TestResponse {
                try await api.call(.post, "/v1/tokens", as: "admin", body: #"{"user": "cy", "expires": "\#(expires)"}"#)
            }
            #expect(try await create("90d").decode(TokenView.self).expires == t0 + 90 * 86_400)
            #expect(try await create("3650d").decode(TokenView.self).expires == t0 + 3650 * 86_400)
            for text in ["3651d", "522w", "87601h"] {
                let r = try await create(text)
                #expect(r.status == .badRequest)
                #expect(r.error == "expires is at most 3650d (10 years), not '\(text)'")
            }
            for text in ["soon", "0d", "-1d", "", "99999999999999999999d", "9223372036854775807w"] {
                let r = try await create(text)
                #expect(r.status == .badRequest, "\(text)")
                #expect(r.error == "expires takes a duration such as 90d, 12h or 2w, not '\(text)'")
            }
            // Nothing was made by the refusals: the two tokens above and the suite's three.
            #expect(try await api.call(.get, "/v1/tokens", as: "admin").decode(TokenList.self).tokens.count == 5)
        }
    }
}
