import Foundation
import Hummingbird
import Scheduler

/// Reading request bodies and path parameters, with refusals that say what is wrong.
enum RequestBody {
    /// The body as text (at most the context's upload limit).
    static func text(_ request: Request, _ context: APIRequestContext, limit: Int? = nil) async throws -> String {
        var request = request
        let buffer: ByteBuffer
        let limit = limit ?? context.maxUploadSize
        do { buffer = try await request.collectBody(upTo: limit) } catch {
            throw APIError(.contentTooLarge, "the request body is larger than \(limit) bytes")
        }
        return String(buffer: buffer)
    }

    /// Decodes a JSON body, naming the missing or mistyped field or the JSON problem.
    static func decode<T: Decodable>(
        _ type: T.Type, _ request: Request, _ context: APIRequestContext, limit: Int? = nil
    ) async throws -> T {
        let text = try await self.text(request, context, limit: limit)
        if text.allSatisfy(\.isWhitespace) {
            throw APIError(.badRequest, "the request body is empty; expected a JSON object")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIError(.badRequest, "missing '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(expected, c) {
            throw APIError(.badRequest, "\(path(c)): expected \(describe(expected))")
        } catch let DecodingError.valueNotFound(expected, c) {
            throw APIError(.badRequest, "\(path(c)): expected \(describe(expected)), found null")
        } catch let DecodingError.dataCorrupted(c) {
            let underlying = (c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            throw APIError(.badRequest, "malformed JSON: \(underlying ?? c.debugDescription)")
        }
    }

    /// A job from the path: its id (`42`) or an array task (`42_7`).
    static func jobReference(_ context: APIRequestContext) throws -> JobReference {
        let text = context.parameters.get("id") ?? ""
        do { return try JobReference(parsing: text) } catch {
            throw APIError(
                .badRequest, "a job is its id, a positive number (42), or an array task (42_7), not '\(text)'")
        }
    }

    private static func path(_ c: DecodingError.Context) -> String {
        c.codingPath.map(\.stringValue).joined(separator: ".").isEmpty
            ? "the body" : "'\(c.codingPath.map(\.stringValue).joined(separator: "."))'"
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type: "a whole number"
        default: "\(type)"
        }
    }
}
