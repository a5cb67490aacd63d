import Foundation
import Hummingbird
import Logging
import RasporedAPI

/// An error response: a status and an `ErrorBody` sentence.
public struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    /// Seconds for a `Retry-After` header (a 429).
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// The controller's refusal with its status (docs/api.md).
    public init(_ e: ControllerError) {
        let status: HTTPResponse.Status =
            switch e.kind {
            case .badRequest: .badRequest
            case .unauthorized: .unauthorized
            case .forbidden: .forbidden
            case .notFound: .notFound
            case .conflict: .conflict
            case .tooManyRequests: .tooManyRequests
            case .internalError: .internalServerError
            }
        self.init(status, e.message)
        if case let .tooManyRequests(seconds) = e.kind { retryAfter = seconds }
    }

    public var description: String { "\(status.code) \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONResponse.make(ErrorBody(error: message), status: status)
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer realm=\"raspored\"" }
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}

/// Turns every error a handler (or the router) throws into an `ErrorBody` response and logs it.
struct ErrorBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as APIError {
            return try respond(e, request, context)
        } catch let e as ControllerError {
            return try respond(APIError(e), request, context)
        } catch let e as HTTPError {
            let message =
                e.status == .notFound
                ? "no route for \(request.method) \(request.uri.path)" : e.body ?? e.status.reasonPhrase
            return try respond(APIError(e.status, message), request, context)
        } catch {
            return try respond(APIError(.internalServerError, "internal error: \(error)"), request, context)
        }
    }

    private func respond(_ e: APIError, _ request: Request, _ context: Context) throws -> Response {
        let level: Logger.Level = e.status.code >= 500 ? .error : .info
        context.logger.log(
            level: level, "request refused",
            metadata: ["status": "\(e.status.code)", "path": "\(request.uri.path)", "error": "\(e.message)"])
        return try e.response(from: request, context: context)
    }
}

/// JSON responses: sorted keys, so answers are stable for people and tests.
enum JSONResponse {
    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
