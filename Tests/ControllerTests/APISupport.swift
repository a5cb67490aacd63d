import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// A live API server on loopback over a fresh state directory, with tokens for ana, bo and an admin.
struct LiveAPI {
    let client: any TestClientProtocol
    let core: ControllerCore
    let tokens: [String: String]

    /// Sends a request as `user` (nil: no Authorization header) with an optional raw body.
    func call(
        _ method: HTTPRequest.Method, _ uri: String, as user: String? = "ana", body: String? = nil
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let user { headers[.authorization] = "Bearer \(tokens[user] ?? user)" }
        if body != nil { headers[.contentType] = "application/json" }
        return try await client.execute(
            uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    /// The JSON of `value`, as a client would send it.
    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }
}

extension TestResponse {
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(String(buffer: body).utf8))
    }

    /// The error sentence of an error response.
    var error: String? { try? decode(ErrorBody.self).error }
}

/// `clock`: the core's (default: standing still at t0).
func withLiveAPI<T: Sendable>(
    clock: @escaping @Sendable () -> Int64 = { t0 }, _ body: @Sendable (LiveAPI) async throws -> T
) async throws -> T {
    try await withCore(clock: clock) { core, store, _ in
        var tokens: [String: String] = [:]
        tokens["ana"] = try store.createToken(user: "ana", role: .user, at: t0).secret
        tokens["bo"] = try store.createToken(user: "bo", role: .user, at: t0).secret
        tokens["admin"] = try store.createToken(user: "admin", role: .admin, at: t0).secret
        let app = Application(
            router: APIRouter.make(core: core),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        let known = tokens
        return try await app.test(.live) { client in
            try await body(LiveAPI(client: client, core: core, tokens: known))
        }
    }
}

/// `{"gpus": N, "account": "ivi", "command": [...], "workdir": "/home/ana"}` plus `extra` fields.
func jobBody(gpus: Int, _ extra: String = "") -> String {
    #"{"gpus": \#(gpus), "account": "ivi", "command": ["python", "train.py"], "workdir": "/home/ana"\#(extra)}"#
}
