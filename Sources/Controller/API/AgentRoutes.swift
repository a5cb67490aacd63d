import Foundation
import Hummingbird
import RasporedAPI

/// `/v1/agents/{node}/…`: registration, heartbeats (long polls carrying orders), output shipping.
struct AgentRoutes {
    let core: ControllerCore

    func register(on group: RouterGroup<APIRequestContext>) {
        group.post("/agents/{node}/register") { request, context in
            let principal = try context.requirePrincipal()
            let node = context.parameters.get("node") ?? ""
            let body = try await RequestBody.decode(AgentRegistration.self, request, context, limit: 8 << 20)
            return try JSONResponse.make(try await core.register(body, node: node, by: principal))
        }
        group.post("/agents/{node}/heartbeat") { request, context in
            let principal = try context.requirePrincipal()
            let node = context.parameters.get("node") ?? ""
            var wait = 0.0
            if let text = request.uri.queryParameters.get("wait") {
                guard let w = Double(text), w >= 0, w.isFinite else {
                    throw APIError(.badRequest, "wait is a number of seconds, not '\(text)'")
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
            let text = request.uri.queryParameters.get("offset") ?? ""
            guard let offset = Int64(text), offset >= 0 else {
                throw APIError(.badRequest, "offset is a byte position (0 or more), not '\(text)'")
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
