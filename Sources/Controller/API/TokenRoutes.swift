import Hummingbird
import RasporedAPI

/// `/v1/tokens`: admins create user and admin tokens.
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
    }
}
