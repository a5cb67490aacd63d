import RasporedAPI

/// The agent's side of the controller protocol, one call per endpoint (see docs/agent.md). The HTTP client
/// (`HTTPControllerClient`) implements it; tests drive the session with a scripted one.
public protocol ControllerTransport: Sendable {
    /// `POST /v1/agents/{node}/register`.
    func register(_ registration: AgentRegistration) async throws -> AgentRegistrationReply
    /// `POST /v1/agents/{node}/heartbeat?wait=SECONDS`: a long poll when `wait` > 0.
    func heartbeat(_ heartbeat: AgentHeartbeat, wait: Double) async throws -> AgentOrders
    /// `POST /v1/agents/{node}/runs/{runId}/output?offset=N` with the raw bytes.
    func sendOutput(runId: String, offset: Int64, bytes: [UInt8]) async throws -> OutputReply
}

/// The controller's answer to an output chunk.
public enum OutputReply: Sendable, Hashable {
    /// 204: the controller holds the output up to the chunk's end (appended, or it had it already).
    case accepted
    /// 409: the chunk would leave a gap or overlap; the controller holds `size` bytes, resume there.
    case resume(at: Int64)
}

/// Why a call to the controller failed, sorted by what the agent does about it.
public enum ControllerCallError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The controller does not know this agent (404/409 on a heartbeat): register again.
    case unknownAgent(String)
    /// The controller refused the request (a 4xx other than the above): retrying the same will not help.
    case rejected(status: Int, message: String)
    /// No answer, or a 5xx: the controller is down or restarting; retry with backoff.
    case unavailable(String)

    public var description: String {
        switch self {
        case .unknownAgent(let message): "the controller does not know this agent: \(message)"
        case .rejected(let status, let message): "the controller refused (\(status)): \(message)"
        case .unavailable(let message): "the controller is unreachable: \(message)"
        }
    }
}
