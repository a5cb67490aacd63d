import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import RasporedAPI

/// The controller protocol over HTTP/JSON (`Authorization: Bearer TOKEN`), on AsyncHTTPClient's shared
/// client (nothing to shut down). An `https` controller's certificate is checked against `tls`'s trust roots
/// when given (`ControllerTrust`, in ClientTrust), else the system's.
public struct HTTPControllerClient: ControllerTransport {
    /// The controller's base URL, without a trailing slash (`http://127.0.0.1:8420`).
    public let baseURL: String
    public let node: String
    private let token: String
    private let client: HTTPClient
    /// Each request's TLS configuration; AsyncHTTPClient pools connections per configuration.
    private let tls: TLSConfiguration?
    /// How long a request without a long poll may take.
    public var requestTimeout: TimeAmount = .seconds(30)

    public init(
        baseURL: String, node: String, token: String, tls: TLSConfiguration? = nil, client: HTTPClient = .shared
    ) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.node = node
        self.token = token
        self.tls = tls
        self.client = client
    }

    public func register(_ registration: AgentRegistration) async throws -> AgentRegistrationReply {
        let (status, body) = try await post("register", json: registration, timeout: requestTimeout)
        // A 404 here is a node the controller does not have: a refusal, not "register again".
        return try decode(AgentRegistrationReply.self, status: status, body: body, agentCall: false)
    }

    public func heartbeat(_ heartbeat: AgentHeartbeat, wait: Double) async throws -> AgentOrders {
        // The controller holds a long poll for at most a minute; a larger `wait` (its registration reply's
        // heartbeat) is cut here, before it reaches the timeout's arithmetic.
        let seconds = wait.isFinite ? min(max(0, wait), 3600) : 0
        let waitText = SecondsText.of(seconds)
        let (status, body) = try await post(
            "heartbeat?wait=\(waitText)", json: heartbeat,
            timeout: requestTimeout + .milliseconds(Int64(seconds * 1000)))
        return try decode(AgentOrders.self, status: status, body: body, agentCall: true)
    }

    public func sendOutput(runId: String, offset: Int64, bytes: [UInt8]) async throws -> OutputReply {
        let (status, body) = try await post(
            "runs/\(Self.escape(runId))/output?offset=\(offset)", body: ByteBuffer(bytes: bytes),
            contentType: "application/octet-stream", timeout: requestTimeout)
        switch status {
        case 200..<300: return .accepted
        case 409:
            if let position = try? JSONDecoder().decode(OutputPosition.self, from: Data(body.readableBytesView)) {
                return .resume(at: position.size)
            }
            throw ControllerCallError.rejected(status: 409, message: Self.message(body))
        default:
            throw Self.error(status: status, body: body, agentCall: false)
        }
    }

    // MARK: - Plumbing

    private func post(_ path: String, json value: some Encodable, timeout: TimeAmount) async throws -> (
        Int, ByteBuffer
    ) {
        let data = try JSONEncoder().encode(value)
        return try await post(path, body: ByteBuffer(bytes: data), contentType: "application/json", timeout: timeout)
    }

    private func post(_ path: String, body: ByteBuffer, contentType: String, timeout: TimeAmount) async throws -> (
        Int, ByteBuffer
    ) {
        var request = HTTPClientRequest(url: "\(baseURL)/v1/agents/\(Self.escape(node))/\(path)")
        request.method = .POST
        request.tlsConfiguration = tls
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: contentType)
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(body)
        do {
            let response = try await client.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 16 << 20)
            return (Int(response.status.code), body)
        } catch {
            throw ControllerCallError.unavailable("\(baseURL): \(error)")
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, status: Int, body: ByteBuffer, agentCall: Bool) throws -> T {
        guard (200..<300).contains(status) else { throw Self.error(status: status, body: body, agentCall: agentCall) }
        do {
            return try JSONDecoder().decode(type, from: Data(body.readableBytesView))
        } catch {
            throw ControllerCallError.rejected(status: status, message: "unreadable reply (\(error))")
        }
    }

    /// 404/409 on the agent's own endpoints mean the controller does not know the agent; other 4xx are
    /// refusals; 5xx and anything else are "try again later".
    static func error(status: Int, body: ByteBuffer, agentCall: Bool) -> ControllerCallError {
        let message = message(body)
        if agentCall && (status == 404 || status == 409) { return .unknownAgent(message) }
        if (400..<500).contains(status) { return .rejected(status: status, message: message) }
        return .unavailable("HTTP \(status): \(message)")
    }

    /// The `{"error": …}` sentence, else the body as text.
    static func message(_ body: ByteBuffer) -> String {
        let data = Data(body.readableBytesView)
        if let error = try? JSONDecoder().decode(ErrorBody.self, from: data) { return error.error }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "(no message)" : String(text.prefix(300))
    }

    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? segment
    }
}
