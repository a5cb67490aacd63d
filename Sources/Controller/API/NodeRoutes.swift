import Hummingbird
import RasporedAPI

/// `/v1/nodes`: list, show, drain, resume.
struct NodeRoutes {
    let core: ControllerCore

    func register(on group: RouterGroup<APIRequestContext>) {
        group.get("/nodes") { request, context in
            _ = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            return try JSONResponse.make(NodeList(nodes: await core.nodes()))
        }
        group.get("/nodes/{name}") { request, context in
            _ = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            return try JSONResponse.make(try await core.node(context.parameters.get("name") ?? ""))
        }
        group.post("/nodes/{name}/drain") { request, context in
            let principal = try context.requirePrincipal()
            let name = context.parameters.get("name") ?? ""
            _ = try QueryParameters(request, allowed: [])
            // Role and node first, so a user or a typo hears that rather than a body complaint.
            guard principal.role == .admin else {
                throw APIError(.forbidden, "only an admin may drain a node; \(principal.user) is not one")
            }
            _ = try await core.node(name)
            let body = try await RequestBody.decode(DrainRequest.self, request, context)
            return try JSONResponse.make(try await core.drain(name, reason: body.reason, by: principal))
        }
        group.post("/nodes/{name}/resume") { request, context in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            return try JSONResponse.make(try await core.resume(context.parameters.get("name") ?? "", by: principal))
        }
    }
}
