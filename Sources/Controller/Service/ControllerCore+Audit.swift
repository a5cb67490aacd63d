import Logging
import RasporedAPI

/// What an audited action acted on, and what it did, as its entry records them; the action's body may
/// refine both once it knows (a new token's id, a reservation's name).
struct AuditNote {
    var target: String
    var detail: String?
}

/// The audit log: every admin action (drain, resume, reservations, tokens, reloads, cancels of other
/// users' jobs), done or refused, with who (user and token), when, on what and how it ended. A caller
/// whose role may not act at all is refused before anything is audited (a 403 is not an admin action).
extension ControllerCore {
    /// Runs an admin action and records its entry once it has ended: `ok` with the note's detail, or
    /// `refused` / `failed` with the error's sentence. The entry is committed after the action's own
    /// change, in a transaction of its own.
    func audited<T>(
        _ p: Principal, _ action: AuditAction, _ target: String, detail: String? = nil,
        _ body: (inout AuditNote) throws(ControllerError) -> T
    ) throws(ControllerError) -> T {
        var note = AuditNote(target: target, detail: detail)
        do {
            let value = try body(&note)
            audit(p, action, note.target, .ok, note.detail)
            return value
        } catch {
            audit(p, action, note.target, error.kind == .internalError ? .failed : .refused, error.message)
            throw error
        }
    }

    /// Appends one entry. A failure to record it is logged (as an error) and does not undo or fail the
    /// action, which has already been committed.
    nonisolated func audit(
        _ p: Principal, _ action: AuditAction, _ target: String, _ outcome: AuditOutcome, _ detail: String?
    ) {
        // Token ids start at 1; 0 is the controller acting for itself (SIGHUP).
        let entry = AuditRecord(
            time: clock(), user: p.user, tokenId: p.tokenId > 0 ? p.tokenId : nil, action: action, target: target,
            outcome: outcome, detail: detail)
        do {
            try store.recordAudit(entry)
        } catch {
            logger.error(
                "audit entry not recorded",
                metadata: [
                    "action": "\(action.rawValue)", "target": "\(target)", "by": "\(p.user)", "error": "\(error)",
                ])
        }
    }

    /// The latest `limit` (1 to 10,000) entries at or after `since` by `actor`, oldest first (admins only).
    public nonisolated func auditLog(
        since: Int64? = nil, actor: String? = nil, limit: Int = 100, by p: Principal
    ) throws(ControllerError) -> [AuditEntry] {
        guard p.role == .admin else {
            throw ControllerError(.forbidden, "only an admin may read the audit log; \(p.user) is not one")
        }
        guard (1...Self.auditLimit).contains(limit) else {
            throw ControllerError(.badRequest, "limit is 1 to \(Self.auditLimit), not \(limit)")
        }
        let records = try stored { () throws(StateStoreError) in
            try store.auditRecords(since: since, actor: actor, limit: limit)
        }
        return records.map {
            AuditEntry(
                id: $0.id ?? 0, time: $0.time, user: $0.user, tokenId: $0.tokenId, action: $0.action.rawValue,
                target: $0.target, outcome: $0.outcome.rawValue, detail: $0.detail)
        }
    }

    /// The most entries one `GET /v1/audit` returns.
    public static let auditLimit = 10_000
}
