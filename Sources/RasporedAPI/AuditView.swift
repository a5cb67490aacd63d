/// One entry of the audit log as `GET /v1/audit` shows it.
public struct AuditEntry: Hashable, Sendable, Codable {
    public var id: Int64
    /// Seconds since the epoch.
    public var time: Int64
    /// Who acted.
    public var user: String
    /// The token they acted with; absent for the controller itself (a reload on SIGHUP).
    public var tokenId: Int64?
    /// "node.drain", "node.resume", "reservation.create", "reservation.delete", "token.create",
    /// "token.revoke", "cluster.reload" or "job.cancel".
    public var action: String
    /// What it acted on: a node, "token 12", "job 42", a reservation's name, the cluster file.
    public var target: String
    /// "ok", "refused" (nothing changed) or "failed" (the controller failed).
    public var outcome: String
    /// The reason given, what was made, or the refusal's sentence.
    public var detail: String?

    public init(
        id: Int64, time: Int64, user: String, tokenId: Int64?, action: String, target: String, outcome: String,
        detail: String?
    ) {
        self.id = id
        self.time = time
        self.user = user
        self.tokenId = tokenId
        self.action = action
        self.target = target
        self.outcome = outcome
        self.detail = detail
    }
}

/// The answer to `GET /v1/audit`: the latest entries that match, oldest first.
public struct AuditList: Hashable, Sendable, Codable {
    public var entries: [AuditEntry]

    public init(entries: [AuditEntry]) { self.entries = entries }
}
