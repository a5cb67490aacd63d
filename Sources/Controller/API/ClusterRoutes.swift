import Hummingbird
import RasporedAPI
import Scheduler

/// `POST /v1/cluster/reload`: reads cluster.yaml again and applies it (admins only).
struct ClusterRoutes {
    let core: ControllerCore
    /// The file the controller was started with; nil when it was given a description in memory.
    let clusterFile: String?

    func register(on group: RouterGroup<APIRequestContext>) {
        group.post("/cluster/reload") { request, context in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            guard principal.role == .admin else {
                throw APIError(
                    .forbidden, "only an admin may reload the cluster description; \(principal.user) is not one")
            }
            guard let clusterFile else { throw APIError(.conflict, "this controller was not started from a file") }
            let (spec, added) = try await core.reloadCluster(file: clusterFile, by: principal)
            return try JSONResponse.make(ClusterReloaded(nodes: spec.nodes.count, added: added))
        }
    }
}
