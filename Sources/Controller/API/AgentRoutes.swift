import Foundation
import Hummingbird
import RasporedAPI
import Scheduler

/// `/v1/agents/{node}/…`: registration, heartbeats (long polls carrying orders), output shipping.
struct AgentRoutes {
    let core: ControllerCore

    func register(on group: RouterGroup<APIRequestContext>) {
        group.post("/agents/{node}/register") { request, context in
            let principal = try context.requirePrincipal()
            let node = context.parameters.get("node") ?? ""
            _ = try QueryParameters(request, allowed: [])
            let body = try await RequestBody.decode(AgentRegistration.self, request, context, limit: 8 << 20)
            return try JSONResponse.make(try await core.register(body, node: node, by: principal))
        }
        group.post("/agents/{node}/heartbeat") { request, context in
            let principal = try context.requirePrincipal()
            let node = context.parameters.get("node") ?? ""
            // Heard now, whenever the core gets to it: a busy core does not make a live node look silent.
            core.heard(node, by: principal)
            let query = try QueryParameters(request, allowed: ["wait"])
            var wait = 0.0
            if let text = query.text("wait") {
                guard let w = Double(text), w >= 0, w.isFinite else {
                    throw APIError(.badRequest, "wait is a number of seconds, not '\(TerminalText.escaped(text))'")
                }
                wait = w
            }
            let body = try await RequestBody.decode(AgentHeartbeat.self, request, context, limit: 8 << 20)
            return try JSONResponse.make(try await core.heartbeat(body, node: node, wait: wait, by: principal))
        }
        group.post("/agents/{node}/runs/{run}/output") { request, context in
            let principal = try context.requirePrincipal()
            let node = context.parameters.get("node") ?? ""
            let run = context.parameters.get("run") ?? ""
            let query = try QueryParameters(request, allowed: ["offset"])
            guard let offset = try query.integer("offset", in: 0...Int64.max, what: "a byte position") else {
                throw APIError(.badRequest, "offset is a byte position (0 or more), and required")
            }
            var request = request
            let buffer: ByteBuffer
            do { buffer = try await request.collectBody(upTo: 4 << 20) } catch {
                throw APIError(.contentTooLarge, "an output chunk is at most \(4 << 20) bytes")
            }
            switch try core.appendOutput(
                node: node, runId: run, offset: offset, bytes: Data(buffer.readableBytesView), by: principal)
            {
            case .held:
                return Response(status: .noContent)
            case .gap(let size):
                return try JSONResponse.make(
                    OutputGap(error: "the chunk starts at \(offset), the controller holds \(size) bytes", size: size),
                    status: .conflict)
            }
        }
    }
}

/// The 409 body for an output chunk past the end: an error and where to resume (`OutputPosition`'s `size`).
struct OutputGap: Encodable {
    var error: String
    var size: Int64
}
