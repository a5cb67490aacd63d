import Hummingbird
import RasporedAPI
import Scheduler

/// `/v1/tokens`: admins create, list and revoke tokens.
struct TokenRoutes {
    let core: ControllerCore

    func register(on group: RouterGroup<APIRequestContext>) {
        group.post("/tokens") { request, context in
            let principal = try context.requirePrincipal()
            guard principal.role == .admin else {
                throw APIError(.forbidden, "only an admin may create tokens; \(principal.user) is not one")
            }
            _ = try QueryParameters(request, allowed: [])
            let body = try await RequestBody.decode(TokenRequest.self, request, context)
            return try JSONResponse.make(try await core.createToken(body, by: principal), status: .created)
        }
        group.get("/tokens") { request, context in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            return try JSONResponse.make(TokenList(tokens: try core.tokens(by: principal)))
        }
        group.post("/tokens/{id}/revoke") { request, context in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            // The role first, so a user hears that rather than a complaint about the id.
            guard principal.role == .admin else {
                throw APIError(.forbidden, "only an admin may revoke tokens; \(principal.user) is not one")
            }
            let text = context.parameters.get("id") ?? ""
            guard let id = Int64(text), id > 0 else {
                throw APIError(.badRequest, "a token id is a positive number, not '\(TerminalText.escaped(text))'")
            }
            return try JSONResponse.make(try await core.revokeToken(id, by: principal))
        }
    }
}
