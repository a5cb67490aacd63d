import Foundation
import NIOSSL
import RasporedAPI

/// The controller's HTTP API (docs/api.md) as schedctl uses it: JSON in and out, `Authorization: Bearer`,
/// and every refusal turned into a `ControllerError` carrying the controller's own sentence.
struct ControllerClient: Sendable {
    /// The controller's base URL, without a trailing slash.
    var base: String
    var token: String
    /// How long one request may take, connection included, in seconds.
    var timeoutSeconds: Int64 = 30
    /// Each request's TLS configuration (a CA file's trust roots); nil: the system's trust store.
    var tls: TLSConfiguration?

    init(base: String, token: String, tls: TLSConfiguration? = nil) {
        self.base = base
        self.token = token
        self.tls = tls
    }

    init(_ config: ClientConfig) throws {
        self.init(base: config.controller, token: try config.requireToken(), tls: try config.tlsConfiguration())
    }

    enum Method: Sendable {
        case get, post, delete

        var name: String {
            switch self {
            case .get: "GET"
            case .post: "POST"
            case .delete: "DELETE"
            }
        }
    }

    /// One HTTP exchange's outcome, whatever the status.
    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    func get<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws -> T {
        try decode(try await expectOK(send(.get, path)), as: type)
    }

    /// Every job `GET /v1/jobs` (or `GET /v1/history`, as `path`) lists with `query` (`state=…`, `array=…`),
    /// page after page.
    func allJobs(_ query: [String] = [], path: String = "/v1/jobs") async throws -> JobList {
        var list = JobList(jobs: [])
        var after: Int64?
        repeat {
            let parts = query + ["limit=\(JobList.maxLimit)"] + (after.map { ["after=\($0)"] } ?? [])
            let page: JobList = try await get(path + "?" + parts.joined(separator: "&"))
            list.jobs += page.jobs
            list.policy = page.policy
            after = page.next
        } while after != nil
        return list
    }

    func delete<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws -> T {
        try decode(try await expectOK(send(.delete, path)), as: type)
    }

    func post<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws -> T {
        try decode(try await expectOK(send(.post, path)), as: type)
    }

    func post<T: Decodable, Body: Encodable>(_ path: String, body: Body, as type: T.Type = T.self) async throws -> T {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try decode(try await expectOK(send(.post, path, body: try encoder.encode(body))), as: type)
    }

    /// Sends one request; throws only when no HTTP answer came back. An `https` controller is reached
    /// through AsyncHTTPClient (TLS, `tls`'s trust roots); a plain `http` one, on this machine's loopback
    /// unless `--allow-plain-http`, over a connection of the request's own (`plainExchange`), which spares a
    /// one-shot command an HTTP client's set-up.
    func send(_ method: Method, _ path: String, body: Data? = nil) async throws -> Reply {
        var headers = [("Authorization", "Bearer \(token)"), ("User-Agent", "schedctl")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let exchange = HTTPExchange(
            method: method.name, url: base + path, headers: headers, body: body.map { Array($0) })
        do throws(TransportFailure) {
            if base.lowercased().hasPrefix("https://") { return try await exchange.overTLS(tls, timeout: timeout) }
            return try await exchange.plainExchange(connectTimeout: Self.connectTimeout, timeout: timeout)
        } catch {
            switch error {
            case let .untrusted(why): throw ControllerError.untrusted(base, why)
            case .closedUnanswered:
                // What a TLS listener does with a request in plain HTTP, the likeliest cause.
                throw ControllerError.unreachable(
                    base, "it closed the connection unanswered, as a controller serving HTTPS does: try https://")
            case let .failed(why): throw ControllerError.unreachable(base, why)
            }
        }
    }

    /// How long connecting may take.
    static let connectTimeout = Duration.seconds(10)

    /// How long one request may take, connection included.
    var timeout: Duration { .seconds(timeoutSeconds) }

    /// A 2xx reply, or the controller's `{"error": ...}` as a `ControllerError.refused`.
    func expectOK(_ reply: Reply) throws -> Reply {
        guard (200..<300).contains(reply.status) else {
            let message =
                (try? JSONDecoder().decode(ErrorBody.self, from: Data(reply.body)))?.error
                ?? "HTTP \(reply.status): \(String(decoding: reply.body.prefix(200), as: UTF8.self))"
            throw ControllerError.refused(status: reply.status, message: message)
        }
        return reply
    }

    func decode<T: Decodable>(_ reply: Reply, as type: T.Type) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(reply.body))
        } catch {
            throw ControllerError.badReply("\(base): the controller's answer is not a \(type) (\(error))")
        }
    }
}

/// What went wrong talking to the controller.
enum ControllerError: Error, CustomStringConvertible {
    /// No HTTP answer: the controller is down, the address is wrong, or the network failed.
    case unreachable(String, String)
    /// The controller's certificate is not one schedctl trusts (its CA, or the name it was issued for), so the
    /// token was not sent.
    case untrusted(String, String)
    /// The controller answered with an error status and its sentence.
    case refused(status: Int, message: String)
    /// An answer schedctl cannot read (a different API version, or not the controller at all).
    case badReply(String)

    var description: String {
        switch self {
        case let .unreachable(base, why):
            "cannot reach the controller at \(base) (\(why)); is schedulerd running there? "
                + "Set --controller or RASPORED_CONTROLLER"
        case let .untrusted(base, why):
            "the controller at \(base) presented a certificate schedctl does not trust: \(why)"
        case let .refused(_, message): message
        case let .badReply(message): message
        }
    }

    /// The exit status schedctl ends with (docs/schedctl.md, "Exit status").
    var exitStatus: Int32 {
        switch self {
        case .unreachable, .untrusted: ExitStatus.usage
        case let .refused(status, _): ExitStatus.forHTTP(status)
        case .badReply: ExitStatus.controllerFailed
        }
    }
}

/// schedctl's exit statuses.
enum ExitStatus {
    static let success: Int32 = 0
    /// The controller refused the request (400, 403, 404, 409, 413), or some of several items failed.
    static let refused: Int32 = 1
    /// Usage, configuration or connection: bad options or files, no token, an unknown token (401), no controller.
    static let usage: Int32 = 2
    /// The controller failed (5xx) or answered something unreadable.
    static let controllerFailed: Int32 = 3

    static func forHTTP(_ status: Int) -> Int32 {
        switch status {
        case 401: usage
        case 500...: controllerFailed
        default: refused
        }
    }
}
