import Foundation
import Hummingbird

/// Authenticates `Authorization: Bearer <secret>`: no token or an unknown one is a 401; the principal goes
/// into the context for the handlers (and the core, which checks roles: 403).
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let core: ControllerCore

    func handle(
        _ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let principal = try core.authenticate(try Self.secret(request)) else {
            throw APIError(.unauthorized, "unknown token")
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "user"] = "\(principal.user)"
        return try await next(request, context)
    }

    /// The secret of `Authorization: Bearer <secret>`; a 401 without one.
    static func secret(_ request: Request) throws -> String {
        guard let header = request.headers[.authorization] else {
            throw APIError(.unauthorized, "a bearer token is required (Authorization: Bearer rsp_…)")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError(.unauthorized, "the Authorization header must be 'Bearer <token>'")
        }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }
}
