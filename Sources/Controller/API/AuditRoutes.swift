import Hummingbird
import RasporedAPI

/// `GET /v1/audit`: the audit log of admin actions (admins only).
struct AuditRoutes {
    let core: ControllerCore

    func register(on group: RouterGroup<APIRequestContext>) {
        group.get("/audit") { request, context in
            let principal = try context.requirePrincipal()
            guard principal.role == .admin else {
                throw APIError(.forbidden, "only an admin may read the audit log; \(principal.user) is not one")
            }
            let query = request.uri.queryParameters
            var since: Int64?
            if let text = query.get("since") {
                guard let s = Int64(text), s >= 0 else {
                    throw APIError(.badRequest, "since is a time in seconds since the epoch, not '\(text)'")
                }
                since = s
            }
            var limit = 100
            if let text = query.get("limit") {
                guard let l = Int(text), (1...ControllerCore.auditLimit).contains(l) else {
                    throw APIError(
                        .badRequest, "limit is a number from 1 to \(ControllerCore.auditLimit), not '\(text)'")
                }
                limit = l
            }
            let actor = query.get("actor").map { String($0) }
            return try JSONResponse.make(
                AuditList(entries: try core.auditLog(since: since, actor: actor, limit: limit, by: principal)))
        }
    }
}
