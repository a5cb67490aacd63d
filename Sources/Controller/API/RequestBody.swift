import Foundation
import Hummingbird
import RasporedAPI
import Scheduler

/// Reading request bodies and path parameters, with refusals that say what is wrong.
enum RequestBody {
    /// The body's bytes (at most the context's upload limit, or `limit`).
    static func bytes(_ request: Request, _ context: APIRequestContext, limit: Int? = nil) async throws -> [UInt8] {
        var request = request
        let buffer: ByteBuffer
        let limit = limit ?? context.maxUploadSize
        do { buffer = try await request.collectBody(upTo: limit) } catch {
            throw APIError(.contentTooLarge, "the request body is larger than \(limit) bytes")
        }
        return Array(buffer.readableBytesView)
    }

    /// The body as one JSON object, read strictly (`StrictJSON`); a malformed body is a 400 naming the line.
    static func object(_ request: Request, _ context: APIRequestContext, limit: Int? = nil) async throws -> ConfigNode {
        let bytes = try await self.bytes(request, context, limit: limit)
        do { return try ConfigNode.parseJSONObject(bytes) } catch { throw APIError(.badRequest, error.description) }
    }

    /// Decodes a JSON body strictly: malformed JSON, a missing or mistyped field, null for a field that needs
    /// a value (null for an optional one is its absence), and a field the type does not know (at any depth)
    /// are 400s naming it; then the body's own rules (`CheckedBody`).
    static func decode<T: Codable>(
        _ type: T.Type, _ request: Request, _ context: APIRequestContext, limit: Int? = nil
    ) async throws -> T {
        let bytes = try await self.bytes(request, context, limit: limit)
        let given: ConfigNode
        do { given = try ConfigNode.parseJSONObject(bytes) } catch { throw APIError(.badRequest, error.description) }
        let value: T
        do {
            value = try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, c) {
            throw APIError(.badRequest, "missing '\((c.codingPath + [key]).map(\.stringValue).joined(separator: "."))'")
        } catch let DecodingError.typeMismatch(expected, c) {
            throw APIError(.badRequest, "\(path(c)): expected \(describe(expected))")
        } catch let DecodingError.valueNotFound(expected, c) {
            throw APIError(.badRequest, "\(path(c)): expected \(describe(expected)), found null")
        } catch let DecodingError.dataCorrupted(c) {
            let underlying = (c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            throw APIError(.badRequest, "\(path(c)): \(underlying ?? c.debugDescription)")
        }
        let known = try ConfigNode.parseJSONObject(Array(try JSONEncoder().encode(value)))
        if let unknown = given.unknownField(comparedWith: known) { throw APIError(.badRequest, unknown.description) }
        if let problem = (value as? CheckedBody)?.problem { throw APIError(.badRequest, problem) }
        return value
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
