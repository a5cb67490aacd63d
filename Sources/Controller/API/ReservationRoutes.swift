import Hummingbird
import RasporedAPI
import Scheduler

/// `/v1/reservations`: create and delete (admins), list (anyone).
struct ReservationRoutes {
    let core: ControllerCore

    func register(on group: RouterGroup<APIRequestContext>) {
        group.post("/reservations") { request, context in
            let principal = try context.requirePrincipal()
            // The role first, so a user hears that rather than a body complaint.
            guard principal.role == .admin else {
                throw APIError(.forbidden, "only an admin may create a reservation; \(principal.user) is not one")
            }
            _ = try QueryParameters(request, allowed: [])
            let object = try await RequestBody.object(request, context)
            let body: ReservationRequest
            do { body = try ReservationRequest(config: object) } catch let error as ConfigError {
                throw APIError(.badRequest, error.description)
            }
            return try JSONResponse.make(try await core.reserve(body, by: principal), status: .created)
        }
        group.get("/reservations") { request, context in
            _ = try context.requirePrincipal()
            let all = try QueryParameters(request, allowed: ["all"]).flag("all") ?? false
            return try JSONResponse.make(ReservationList(reservations: try await core.reservations(includeEnded: all)))
        }
        group.delete("/reservations/{name}") { request, context in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            return try JSONResponse.make(try await core.unreserve(context.parameters.get("name") ?? "", by: principal))
        }
    }
}
