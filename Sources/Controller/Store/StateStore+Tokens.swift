import GRDB

extension StateStore {
    /// How long a cached token is trusted before its row is read again: a token revoked, expired or deleted
    /// in the database behind the store's back (not through `revokeToken` or `deleteToken`, which take effect
    /// at once) is refused within this many seconds.
    public static let tokenRecheckSeconds: Int64 = 5

    /// `last_used` is written at most once per this many seconds per token, so a busy client does not cost
    /// a write (and an fsync) per request.
    public static let lastUsedInterval: Int64 = 60

    /// Creates a token and returns its id and secret. The secret is returned this once: only its
    /// SHA-256 is stored. An agent token needs the node it belongs to; user and admin tokens take none.
    /// `expires` (seconds since the epoch) ends its use; nil: it never expires.
    public func createToken(
        user: String, role: TokenRole, node: String? = nil, expires: Int64? = nil, at time: Int64
    ) throws(StateStoreError) -> (id: Int64, secret: String) {
        guard (role == .agent) == (node != nil) else {
            throw StateStoreError(
                .invalid, role == .agent ? "an agent token needs its node" : "only agent tokens belong to a node")
        }
        let secret = TokenSecret.generate()
        let digest = TokenSecret.digest(secret)
        let id = try write("create a token for \(user)") { db in
            try db.execute(
                sql: "INSERT INTO tokens (user, role, node, secret_sha256, created, expires) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [user, role.rawValue, node, digest, time, expires])
            return db.lastInsertedRowID
        }
        return (id, secret)
    }

    /// What this secret is worth at `time`: who holds it, or why it is refused (unknown, expired, revoked).
    ///
    /// Cached by digest (`tokenRecheckSeconds`); expiry is checked against `time` on every call. A token that
    /// authenticates gets `last_used = time` when the stored value is `lastUsedInterval` old or more.
    public func authenticate(_ secret: String, at time: Int64) throws(StateStoreError) -> TokenCheck {
        let digest = TokenSecret.digest(secret)
        var entry = tokenCache.withLock { $0[digest] }
        let stale = entry.map { time < $0.checked || time - $0.checked >= Self.tokenRecheckSeconds } ?? true
        if stale {
            let row = try read("authenticate a token") { db in
                try Row.fetchOne(db, sql: "SELECT * FROM tokens WHERE secret_sha256 = ?", arguments: [digest])
                    .map(Self.tokenRecord)
            }
            guard let row else {
                tokenCache.withLock { _ = $0.removeValue(forKey: digest) }
                return .unknown
            }
            if let revoked = row.revoked {
                tokenCache.withLock { _ = $0.removeValue(forKey: digest) }
                return .revoked(id: row.id, at: revoked)
            }
            let fresh = CachedToken(
                principal: Principal(tokenId: row.id, user: row.user, role: row.role, node: row.node),
                expires: row.expires, lastUsed: row.lastUsed, checked: time)
            tokenCache.withLock {
                if $0.count > 10_000 { $0.removeAll() }
                $0[digest] = fresh
            }
            entry = fresh
        }
        guard let entry else { return .unknown }
        if let expires = entry.expires, time >= expires { return .expired(id: entry.principal.tokenId, at: expires) }
        // Claimed under the lock, so of concurrent requests with one token only one writes.
        let due = tokenCache.withLock { cache -> Bool in
            guard var e = cache[digest] else { return false }
            if let last = e.lastUsed, last > time - Self.lastUsedInterval { return false }
            e.lastUsed = time
            cache[digest] = e
            return true
        }
        if due {
            // A lost update of `last_used` must not refuse the request: it is a hint for admins, not a check.
            _ = try? write("record a token's use") { db in
                try db.execute(
                    sql: "UPDATE tokens SET last_used = ? WHERE id = ?", arguments: [time, entry.principal.tokenId])
            }
        }
        return .valid(entry.principal)
    }

    /// Who holds this secret at `time`, or nil when it does not authenticate (unknown, expired or revoked).
    public func principal(_ secret: String, at time: Int64) throws(StateStoreError) -> Principal? {
        if case let .valid(p) = try authenticate(secret, at: time) { return p }
        return nil
    }

    /// Every token, revoked and expired ones included, lowest id first.
    public func tokens() throws(StateStoreError) -> [TokenRecord] {
        try read("read tokens") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM tokens ORDER BY id").map(Self.tokenRecord)
        }
    }

    /// One token; nil when there is none with this id.
    public func token(_ id: Int64) throws(StateStoreError) -> TokenRecord? {
        try read("read token \(id)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM tokens WHERE id = ?", arguments: [id]).map(Self.tokenRecord)
        }
    }

    /// Revokes a token at `time`: it is refused from the next request on, and its row stays, as history.
    /// Refused when there is no such token or it is revoked already.
    public func revokeToken(_ id: Int64, at time: Int64) throws(StateStoreError) -> TokenRecord {
        defer { tokenCache.withLock { $0.removeAll() } }
        return try write("revoke token \(id)") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM tokens WHERE id = ?", arguments: [id]) else {
                throw StateStoreError(.notFound, "no token \(id)")
            }
            var token = try Self.tokenRecord(row)
            guard token.revoked == nil else { throw StateStoreError(.refused, "token \(id) is revoked already") }
            try db.execute(sql: "UPDATE tokens SET revoked = ? WHERE id = ?", arguments: [time, id])
            token.revoked = time
            return token
        }
    }

    /// Deletes a token; false when there was none with this id.
    @discardableResult
    public func deleteToken(_ id: Int64) throws(StateStoreError) -> Bool {
        defer { tokenCache.withLock { $0.removeAll() } }
        return try write("delete token \(id)") { db in
            try db.execute(sql: "DELETE FROM tokens WHERE id = ?", arguments: [id])
            return db.changesCount == 1
        }
    }

    /// How many tokens exist, revoked ones included; 0 means no admin token was ever made for this state.
    public func tokenCount() throws(StateStoreError) -> Int {
        try read("count tokens") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tokens") ?? 0 }
    }

    private static func tokenRecord(_ row: Row) throws -> TokenRecord {
        let id: Int64 = try row.decode(forColumn: "id")
        let roleText: String = try row.decode(forColumn: "role")
        guard let role = TokenRole(rawValue: roleText) else {
            throw StateStoreError(.corrupt, "state store: token \(id) has an unknown role '\(roleText)'")
        }
        return TokenRecord(
            id: id, user: try row.decode(forColumn: "user"), role: role, node: try row.decode(forColumn: "node"),
            created: try row.decode(forColumn: "created"), expires: try row.decode(forColumn: "expires"),
            lastUsed: try row.decode(forColumn: "last_used"), revoked: try row.decode(forColumn: "revoked"))
    }
}
