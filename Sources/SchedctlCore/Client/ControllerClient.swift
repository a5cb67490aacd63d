import AsyncHTTPClient
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

    enum Method: Sendable { case get, post, delete }

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

    /// Every job `GET /v1/jobs` lists with `query` (`state=…`, `array=…`), page after page.
    func allJobs(_ query: [String] = []) async throws -> JobList {
        var list = JobList(jobs: [])
        var after: Int64?
        repeat {
            let parts = query + ["limit=\(JobList.maxLimit)"] + (after.map { ["after=\($0)"] } ?? [])
            let page: JobList = try await get("/v1/jobs?" + parts.joined(separator: "&"))
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

    /// Sends one request; throws only when no HTTP answer came back.
    func send(_ method: Method, _ path: String, body: Data? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        switch method {
        case .get: request.method = .GET
        case .post: request.method = .POST
        case .delete: request.method = .DELETE
        }
        request.tlsConfiguration = tls
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "User-Agent", value: "schedctl")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(Array(body))
        }
        do {
            let response = try await schedctlHTTPClient.execute(request, timeout: .seconds(timeoutSeconds))
            let buffer = try await response.body.collect(upTo: 256 << 20)
            var headers: [String: String] = [:]
            for (name, value) in response.headers { headers[name] = value }
            return Reply(status: Int(response.status.code), headers: headers, body: Array(buffer.readableBytesView))
        } catch {
            if let why = Self.untrusted(error, host: URL(string: base)?.host ?? base) {
                throw ControllerError.untrusted(base, why)
            }
            if base.hasPrefix("http://"), String(describing: error).contains("remoteConnectionClosed") {
                // What a TLS listener does with a request in plain HTTP, the likeliest cause.
                throw ControllerError.unreachable(
                    base, "it closed the connection unanswered, as a controller serving HTTPS does: try https://")
            }
            throw ControllerError.unreachable(base, Self.describe(error))
        }
    }

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

    /// Why the TLS handshake refused the controller's certificate and what to do, or nil when the failure was
    /// not the certificate's: it names another host than `host`, or no CA trusted here signed it.
    static func untrusted(_ error: any Error, host: String) -> String? {
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            return "it was issued for another name than \(host); use a name or address the certificate carries"
        }
        let text = String(describing: error)
        guard text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") else {
            return nil
        }
        return "no CA it trusts signed it; give the CA that did with --ca-file, RASPORED_CA or ca: in the config file"
    }

    /// Connection failures in a few words ("connection refused") rather than NIO's type dumps.
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        for (needle, words) in [
            ("connection refused", "connection refused"), ("Connection refused", "connection refused"),
            ("connectTimeout", "connection timed out"), ("deadlineExceeded", "no answer in time"),
            ("readTimeout", "no answer in time"), ("NXDOMAIN", "unknown host"), ("getaddrinfo", "unknown host"),
        ] where text.contains(needle) {
            return words
        }
        return text
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

/// One HTTP client for the process. Unlike `HTTPClient.shared` it does not retry a refused connection until
/// the request's deadline: a person waiting on a stopped controller hears so at once.
private let schedctlHTTPClient: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool.retryConnectionEstablishment = false
    configuration.timeout.connect = .seconds(10)
    return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
}()
