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
            let text = try await RequestBody.text(request, context)
            let body: ReservationRequest
            do { body = try ReservationRequest.parse(json: text) } catch let error as ConfigError {
                throw APIError(.badRequest, error.description)
            }
            return try JSONResponse.make(try await core.reserve(body, by: principal), status: .created)
        }
        group.get("/reservations") { request, context in
            _ = try context.requirePrincipal()
            var all = false
            if let text = request.uri.queryParameters.get("all") {
                guard text == "true" || text == "false" else {
                    throw APIError(.badRequest, "all is true or false, not '\(text)'")
                }
                all = text == "true"
            }
            return try JSONResponse.make(ReservationList(reservations: try await core.reservations(includeEnded: all)))
        }
        group.delete("/reservations/{name}") { _, context in
            let principal = try context.requirePrincipal()
            return try JSONResponse.make(try await core.unreserve(context.parameters.get("name") ?? "", by: principal))
        }
    }
}
