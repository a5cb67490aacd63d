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
            let query = try QueryParameters(request, allowed: ["since", "limit", "actor"])
            let since = try query.integer("since", in: 0...Int64.max, what: "a time in seconds since the epoch")
            let limit = Int(
                try query.integer("limit", in: 1...Int64(ControllerCore.auditLimit), what: "the most entries to list")
                    ?? 100)
            let actor = query.text("actor")
            return try JSONResponse.make(
                AuditList(entries: try core.auditLog(since: since, actor: actor, limit: limit, by: principal)))
        }
    }
}
