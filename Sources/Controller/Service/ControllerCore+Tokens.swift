import Foundation
import Logging
import RasporedAPI
import Scheduler

extension ControllerCore {
    /// The longest life a token may be given: 10 years.
    public static let longestTokenLife = TimeSpan.days(3650)

    /// Who holds this bearer secret; nil for an unknown one, and a 401 naming the token and the time for one
    /// that has expired or been revoked. Reads the store (through its cache) without waiting for the actor.
    public nonisolated func authenticate(_ secret: String) throws(ControllerError) -> Principal? {
        let now = clock()
        switch try stored({ () throws(StateStoreError) in try store.authenticate(secret, at: now) }) {
        case let .valid(p):
            return p
        case .unknown:
            return nil
        case let .expired(id, at):
            throw ControllerError(
                .unauthorized, "token \(id) expired at \(Self.describeTime(at)); an admin can create a new one")
        case let .revoked(id, at):
            throw ControllerError(.unauthorized, "token \(id) was revoked at \(Self.describeTime(at))")
        }
    }

    /// Creates a user, admin or agent token (admins only) and returns its secret, this once.
    public func createToken(_ r: TokenRequest, by p: Principal) throws(ControllerError) -> TokenView {
        try requireAdmin(p, to: "create tokens")
        return try audited(p, .tokenCreate, "user \(r.user)") { (note: inout AuditNote) throws(ControllerError) in
            let user = r.user.trimmingCharacters(in: .whitespaces)
            guard !user.isEmpty, !user.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw ControllerError(.badRequest, "a token needs a user name without spaces, not '\(r.user)'")
            }
            if let node = r.node {
                guard r.admin != true else {
                    throw ControllerError(.badRequest, "a token is for an admin or a node's agent, not both")
                }
                _ = try nodeIndex(node)
            }
            let role: TokenRole = r.node != nil ? .agent : r.admin == true ? .admin : .user
            let now = clock()
            let expires = try r.expires.map { text throws(ControllerError) in now + (try Self.tokenLife(text)).seconds }
            let (id, secret) = try stored { () throws(StateStoreError) in
                try store.createToken(user: user, role: role, node: r.node, expires: expires, at: now)
            }
            note.target = "token \(id)"
            note.detail =
                "\(role.rawValue) token for \(user)" + (r.node.map { " on \($0)" } ?? "")
                + (expires.map { ", expires \(Self.describeTime($0))" } ?? "")
            logger.notice(
                "token created",
                metadata: ["token": "\(id)", "user": "\(user)", "role": "\(role.rawValue)", "by": "\(p.user)"])
            return TokenView(id: id, user: user, role: role.rawValue, secret: secret, expires: expires)
        }
    }

    /// A token's life from `expires` text: a duration the time-limit parser reads ("90d", "12h", "2w"),
    /// longer than nothing and at most `longestTokenLife`.
    static func tokenLife(_ text: String) throws(ControllerError) -> TimeSpan {
        guard let span = TimeSpan(parsing: text), span.seconds > 0 else {
            throw ControllerError(.badRequest, "expires takes a duration such as 90d, 12h or 2w, not '\(text)'")
        }
        guard span <= longestTokenLife else {
            throw ControllerError(
                .badRequest, "expires is at most \(longestTokenLife) (10 years), not '\(text)'")
        }
        return span
    }

    /// Every token, revoked and expired ones included, lowest id first (admins only); never a secret.
    public nonisolated func tokens(by p: Principal) throws(ControllerError) -> [TokenInfo] {
        guard p.role == .admin else {
            throw ControllerError(.forbidden, "only an admin may list tokens; \(p.user) is not one")
        }
        return try stored { () throws(StateStoreError) in try store.tokens() }.map(Self.info)
    }

    /// Revokes a token (admins only): refused from the very next request on; its row stays, as history.
    /// The last admin token in force is not revoked, so the cluster keeps an admin.
    public func revokeToken(_ id: Int64, by p: Principal) throws(ControllerError) -> TokenInfo {
        try requireAdmin(p, to: "revoke tokens")
        return try audited(p, .tokenRevoke, "token \(id)") { (note: inout AuditNote) throws(ControllerError) in
            let now = clock()
            let all = try stored { () throws(StateStoreError) in try store.tokens() }
            guard let token = all.first(where: { $0.id == id }) else {
                throw ControllerError(.notFound, "no token \(id)")
            }
            if token.role == .admin, token.isLive(at: now),
                !all.contains(where: { $0.id != id && $0.role == .admin && $0.isLive(at: now) })
            {
                throw ControllerError(
                    .conflict, "token \(id) is the last admin token in force; create another admin token first")
            }
            let revoked = try stored { () throws(StateStoreError) in try store.revokeToken(id, at: now) }
            note.detail = "\(revoked.role.rawValue) token of \(revoked.user)" + (revoked.node.map { " on \($0)" } ?? "")
            logger.notice(
                "token revoked", metadata: ["token": "\(id)", "user": "\(revoked.user)", "by": "\(p.user)"])
            return Self.info(revoked)
        }
    }

    static func info(_ t: TokenRecord) -> TokenInfo {
        TokenInfo(
            id: t.id, user: t.user, role: t.role.rawValue, node: t.node, created: t.created, expires: t.expires,
            lastUsed: t.lastUsed, revoked: t.revoked)
    }
}
