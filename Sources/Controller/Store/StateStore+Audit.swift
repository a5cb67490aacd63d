import GRDB

/// The audit log: admin actions, appended and never changed.
extension StateStore {
    /// Appends `entry`, committed before it returns; returns its id.
    @discardableResult
    public func recordAudit(_ entry: AuditRecord) throws(StateStoreError) -> Int64 {
        try write("record an audit entry") { db in
            try db.execute(
                sql: """
                    INSERT INTO audit (time, user, token_id, action, target, outcome, detail)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    entry.time, entry.user, entry.tokenId, entry.action.rawValue, entry.target,
                    entry.outcome.rawValue, entry.detail,
                ])
            return db.lastInsertedRowID
        }
    }

    /// The latest `limit` entries at or after `since` (seconds since the epoch) by `actor` (a user name),
    /// each filter optional, oldest first.
    public func auditRecords(since: Int64? = nil, actor: String? = nil, limit: Int = 100) throws(StateStoreError)
        -> [AuditRecord]
    {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let since {
            conditions.append("time >= ?")
            arguments += [since]
        }
        if let actor {
            conditions.append("user = ?")
            arguments += [actor]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [max(0, limit)]
        let sql = "SELECT * FROM audit \(filter) ORDER BY id DESC LIMIT ?"
        let bound = arguments
        return try read("read the audit log") { db in
            try Row.fetchAll(db, sql: sql, arguments: bound).map(Self.auditRecord).reversed()
        }
    }

    private static func auditRecord(_ row: Row) throws -> AuditRecord {
        let id: Int64 = try row.decode(forColumn: "id")
        let actionText: String = try row.decode(forColumn: "action")
        let outcomeText: String = try row.decode(forColumn: "outcome")
        guard let action = AuditAction(rawValue: actionText), let outcome = AuditOutcome(rawValue: outcomeText) else {
            throw StateStoreError(
                .corrupt,
                "state store: audit entry \(id) has an unknown action or outcome ('\(actionText)', '\(outcomeText)')")
        }
        return AuditRecord(
            id: id, time: try row.decode(forColumn: "time"), user: try row.decode(forColumn: "user"),
            tokenId: try row.decode(forColumn: "token_id"), action: action, target: try row.decode(forColumn: "target"),
            outcome: outcome, detail: try row.decode(forColumn: "detail"))
    }
}
