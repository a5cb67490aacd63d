/// What an admin did, as the audit log names it.
public enum AuditAction: String, Hashable, Sendable, Codable, CaseIterable {
    case nodeDrain = "node.drain"
    case nodeResume = "node.resume"
    case reservationCreate = "reservation.create"
    case reservationDelete = "reservation.delete"
    case tokenCreate = "token.create"
    case tokenRevoke = "token.revoke"
    case clusterReload = "cluster.reload"
    /// A cancel of a job (or array) that belongs to someone else.
    case jobCancel = "job.cancel"
    /// A hold, release, update or signal of a job (or array) that belongs to someone else.
    case jobHold = "job.hold"
    case jobRelease = "job.release"
    case jobUpdate = "job.update"
    case jobSignal = "job.signal"
}

/// How an audited action ended.
public enum AuditOutcome: String, Hashable, Sendable, Codable, CaseIterable {
    /// Done.
    case ok
    /// Refused by the controller (a 4xx: unknown node, invalid request, conflict); nothing changed.
    case refused
    /// The controller failed (a 5xx: the state store).
    case failed
}

/// One entry of the audit log: when, who (user and token), what, on what, and how it ended.
public struct AuditRecord: Hashable, Sendable {
    /// Its place in the log; nil until recorded.
    public var id: Int64?
    /// Seconds since the epoch.
    public var time: Int64
    public var user: String
    /// The actor's token; nil for the controller itself (a reload on SIGHUP).
    public var tokenId: Int64?
    public var action: AuditAction
    /// What it acted on: "dgx05", "token 12", "job 42", a reservation's name, the cluster file.
    public var target: String
    public var outcome: AuditOutcome
    /// The reason given, what was made, or the refusal's sentence.
    public var detail: String?

    public init(
        id: Int64? = nil, time: Int64, user: String, tokenId: Int64?, action: AuditAction, target: String,
        outcome: AuditOutcome, detail: String? = nil
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
