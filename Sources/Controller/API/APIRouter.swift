import Hummingbird
import RasporedAPI

/// The HTTP API (docs/api.md): `/healthz` without a token, everything else under `/v1` behind a bearer token.
public enum APIRouter {
    /// The router serving `core`. Every route it registers is documented in docs/api.md (a test checks).
    public static func make(core: ControllerCore) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: ErrorBodyMiddleware())
        router.get("/healthz") { _, _ in try JSONResponse.make(Health(status: "ok")) }
        let v1 = router.group("/v1").add(middleware: BearerAuthMiddleware(core: core))
        JobRoutes(core: core).register(on: v1)
        NodeRoutes(core: core).register(on: v1)
        TokenRoutes(core: core).register(on: v1)
        return router
    }
}
