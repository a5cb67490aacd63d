import Hummingbird
import RasporedAPI

/// The HTTP API (docs/api.md): `/healthz` and `/metrics` without a token, everything else under `/v1` behind a bearer token.
public enum APIRouter {
    /// The router serving `core`. Every route it registers is documented in docs/api.md (a test checks).
    public static func make(core: ControllerCore, clusterFile: String? = nil) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: ErrorBodyMiddleware())
        router.get("/healthz") { _, _ in try JSONResponse.make(Health(status: "ok")) }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: try await core.metricsText())))
        }
        let v1 = router.group("/v1").add(middleware: BearerAuthMiddleware(core: core))
        JobRoutes(core: core).register(on: v1)
        NodeRoutes(core: core).register(on: v1)
        TokenRoutes(core: core).register(on: v1)
        AuditRoutes(core: core).register(on: v1)
        AccountingRoutes(core: core).register(on: v1)
        ReservationRoutes(core: core).register(on: v1)
        AgentRoutes(core: core).register(on: v1)
        StepRoutes(core: core).register(on: v1)
        ClusterRoutes(core: core, clusterFile: clusterFile).register(on: v1)
        return router
    }

    /// The router of the WebSocket upgrades both listeners take: the step streams (`StepRoutes`), each
    /// authenticating its own caller.
    public static func makeSockets(core: ControllerCore) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: LogRequestsMiddleware(.debug))
        StepRoutes(core: core).registerSockets(on: router)
        return router
    }

    /// The router of the agents' own listener (`schedulerd --agent-listen`): `/healthz` and the agent
    /// routes only, so the agents' heartbeats never queue behind users' connections.
    public static func makeForAgents(core: ControllerCore) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: ErrorBodyMiddleware())
        router.get("/healthz") { _, _ in try JSONResponse.make(Health(status: "ok")) }
        let v1 = router.group("/v1").add(middleware: BearerAuthMiddleware(core: core))
        AgentRoutes(core: core).register(on: v1)
        return router
    }
}
