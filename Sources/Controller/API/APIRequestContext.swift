import Hummingbird
import HummingbirdWebSocket
import Logging

/// Hummingbird's per-request context, with the principal the bearer token named. It also serves the
/// WebSocket upgrades of the step streams (`StepRoutes`).
public struct APIRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `BearerAuthMiddleware` for every `/v1` route; nil only on unauthenticated routes.
    public var principal: Principal?
    public let webSocket: WebSocketHandlerReference<Self>

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
        webSocket = .init()
    }

    /// Request bodies the API accepts are small JSON objects.
    public var maxUploadSize: Int { 1 << 20 }

    /// The authenticated principal; a 401 if none (a route registered outside the authenticated group).
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw APIError(.unauthorized, "a bearer token is required") }
        return principal
    }
}
