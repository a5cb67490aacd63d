import GRDB

extension StateStore {
    /// Creates a token and returns its id and secret. The secret is returned this once: only its
    /// SHA-256 is stored. An agent token needs the node it belongs to; user and admin tokens take none.
    public func createToken(
        user: String, role: TokenRole, node: String? = nil, at time: Int64
    ) throws(StateStoreError) -> (id: Int64, secret: String) {
        guard (role == .agent) == (node != nil) else {
            throw StateStoreError(
                .invalid, role == .agent ? "an agent token needs its node" : "only agent tokens belong to a node")
        }
        let secret = TokenSecret.generate()
        let digest = TokenSecret.digest(secret)
        let id = try write("create a token for \(user)") { db in
            try db.execute(
                sql: "INSERT INTO tokens (user, role, node, secret_sha256, created) VALUES (?, ?, ?, ?, ?)",
                arguments: [user, role.rawValue, node, digest, time])
            return db.lastInsertedRowID
        }
        return (id, secret)
    }

    /// Who holds this secret, or nil when no token has it.
    public func authenticate(_ secret: String) throws(StateStoreError) -> Principal? {
        let digest = TokenSecret.digest(secret)
        if let known = principals.withLock({ $0[digest] }) { return known }
        let found = try read("authenticate a token") { db -> Principal? in
            guard
                let row = try Row.fetchOne(db, sql: "SELECT * FROM tokens WHERE secret_sha256 = ?", arguments: [digest])
            else { return nil }
            let id: Int64 = try row.decode(forColumn: "id")
            let roleText: String = try row.decode(forColumn: "role")
            guard let role = TokenRole(rawValue: roleText) else {
                throw StateStoreError(.corrupt, "state store: token \(id) has an unknown role '\(roleText)'")
            }
            return Principal(
                tokenId: id, user: try row.decode(forColumn: "user"), role: role,
                node: try row.decode(forColumn: "node"))
        }
        if let found {
            principals.withLock {
                if $0.count > 10_000 { $0.removeAll() }
                $0[digest] = found
            }
        }
        return found
    }

    /// Deletes a token; false when there was none with this id.
    @discardableResult
    public func deleteToken(_ id: Int64) throws(StateStoreError) -> Bool {
        defer { principals.withLock { $0.removeAll() } }
        return try write("delete token \(id)") { db in
            try db.execute(sql: "DELETE FROM tokens WHERE id = ?", arguments: [id])
            return db.changesCount == 1
        }
    }
}

extension StateStore {
    /// How many tokens exist; 0 means the controller has never started (or all tokens were deleted).
    public func tokenCount() throws(StateStoreError) -> Int {
        try read("count tokens") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tokens") ?? 0 }
    }
}
