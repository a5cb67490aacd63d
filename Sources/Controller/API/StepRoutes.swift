import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import RasporedAPI

/// The steps of running jobs (docs/api.md, "Steps"): `GET /v1/jobs/{id}/steps` lists them; two WebSocket
/// routes carry them. A client opens `GET /v1/jobs/{id}/steps/stream` (its owner's token, or the job's own
/// credential) and sends a start frame; the controller orders the agent of each of the step's nodes to dial
/// back `GET /v1/agents/{node}/steps/{job}/{step}/stream` (its agent token), and relays between the client
/// and them (`StepRelay`). Without an upgrade both stream paths answer 426.
struct StepRoutes {
    let core: ControllerCore

    /// How long a client has to send its start frame.
    static let startSeconds = 10.0
    /// How long a refused client has to close its stream.
    static let drainSeconds = 5.0

    func register(on group: RouterGroup<APIRequestContext>) {
        group.get("/jobs/{id}/steps") { request, context in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            return try JSONResponse.make(try await core.steps(of: try Self.jobId(context), by: principal))
        }
        group.get("/jobs/{id}/steps/stream") { _, _ -> Response in
            throw APIError(.upgradeRequired, "a step's stream is a WebSocket: send Upgrade: websocket")
        }
        group.get("/agents/{node}/steps/{job}/{step}/stream") { _, _ -> Response in
            throw APIError(.upgradeRequired, "a step's stream is a WebSocket: send Upgrade: websocket")
        }
    }

    /// The WebSocket routes, on the listeners' upgrade router.
    func registerSockets(on router: Router<APIRequestContext>) {
        let core = core
        router.ws("/v1/jobs/{id}/steps/stream") { request, context in
            // A refusal with a reason is sent as a `failed` frame once upgraded; a caller without a token the
            // controller knows gets no connection at all.
            let secret = try BearerAuthMiddleware.secret(request)
            do { _ = try await core.authorizeSteps(jobId: try Self.jobId(context), secret: secret) } catch let e
                as ControllerError
            {
                if case .unauthorized = e.kind { throw APIError(e) }
            }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            await Self.client(core: core, inbound: inbound, outbound: outbound, context: context)
        }
        router.ws("/v1/agents/{node}/steps/{job}/{step}/stream") { request, context in
            guard let p = try core.authenticate(try BearerAuthMiddleware.secret(request)) else {
                throw APIError(.unauthorized, "unknown token")
            }
            try await core.authorizeAgent(p, node: context.parameters.get("node") ?? "")
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            await Self.agent(core: core, inbound: inbound, outbound: outbound, context: context)
        }
    }

    static func jobId(_ context: APIRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw APIError(.badRequest, "a job id is a positive number")
        }
        return id
    }

    private static func send(_ frame: StepFrame, _ outbound: WebSocketOutboundWriter) async {
        try? await outbound.write(.binary(ByteBuffer(bytes: frame.encoded())))
    }

    /// A client's stream: authorize, read the start frame, open the step, wait for its agent, relay.
    static func client(
        core: ControllerCore, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
        context: WebSocketRouterContext<APIRequestContext>
    ) async {
        let messages = StepMessages(inbound)
        func fail(_ why: String) async {
            await send(.failed(why), outbound)
            await Self.closeAfterClient(messages, outbound)
        }
        let runId: String
        let jobId: Int64
        do {
            jobId = try Self.jobId(context.requestContext)
            runId = try await core.authorizeSteps(
                jobId: jobId, secret: try BearerAuthMiddleware.secret(context.request))
        } catch {
            return await fail("\(error)")
        }
        // A client that sends no start frame in time is closed, which ends its read.
        let timer = Task {
            try await Task.sleep(for: .seconds(startSeconds))
            try await outbound.close(.policyViolation, reason: "no start frame")
        }
        var first: StepFrame?
        if case .binary(let b)? = try? await messages.next() { first = try? StepFrame(decoding: b.readableBytesView) }
        timer.cancel()
        guard case .start(let request)? = first else {
            return await fail("the first frame of a step's stream is its start frame, within \(Int(startSeconds)) s")
        }
        let started: StepStarted
        do { started = try await core.openStep(jobId: jobId, runId: runId, request) } catch {
            return await fail("\(error)")
        }
        let key = "\(started.jobId).\(started.step)"
        await send(.started(started), outbound)
        guard let agents = await core.awaitAgents(key) else {
            let why = await core.stepReason(key) ?? "not every agent of its nodes connected"
            return await fail("step \(key) failed: \(why)")
        }
        let outcome = await StepRelay.relay(client: (messages, outbound), agents: agents) { exit in
            await core.stepEnded(key, state: exit.status == 0 ? .completed : .failed, exit: exit)
        }
        if outcome == .clientGone {
            await core.stepEnded(key, state: .cancelled, exit: StepExit(reason: "its client went away"))
        }
    }

    /// Closes a refused client's stream once the client has closed it (it does on the failed frame), or after
    /// `drainSeconds`. Closing first, with the client's start frame still unread here, would make the kernel
    /// reset the connection, and a client that had not yet read the failed frame would lose it with the reset.
    static func closeAfterClient(_ messages: StepMessages, _ outbound: WebSocketOutboundWriter) async {
        let timer = Task {
            try await Task.sleep(for: .seconds(drainSeconds))
            try await outbound.close(.normalClosure, reason: nil)
        }
        while case .some(.some) = try? await messages.next() {}
        timer.cancel()
        try? await outbound.close(.normalClosure, reason: nil)
    }

    /// An agent dialling back for a step: its connection is handed to the step's client, and held until the
    /// relay is over.
    static func agent(
        core: ControllerCore, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
        context: WebSocketRouterContext<APIRequestContext>
    ) async {
        let parameters = context.requestContext.parameters
        let node = parameters.get("node") ?? ""
        let key = "\(parameters.get("job") ?? "").\(parameters.get("step") ?? "")"
        guard let secret = try? BearerAuthMiddleware.secret(context.request),
            let principal = try? core.authenticate(secret)
        else { return }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let leg = AgentLeg(node: node, inbound: inbound, outbound: outbound, done: done)
            Task {
                let taken = (try? await core.agentDialled(key, node: node, by: principal, leg: leg)) ?? false
                if !taken {
                    await send(.failed("no step \(key) waits for \(node)"), outbound)
                    done.resume()
                }
            }
        }
    }
}
