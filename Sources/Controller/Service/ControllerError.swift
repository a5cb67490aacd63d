/// A refusal or failure of the controller, with the HTTP status class it maps to and one sentence.
public struct ControllerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of refusal; the HTTP layer maps each to one status code (docs/api.md).
    public enum Kind: Hashable, Sendable {
        /// The request is wrong: malformed, invalid, or one that can never run (400).
        case badRequest
        /// No token, or one the controller does not know (401).
        case unauthorized
        /// The token may not do this (403).
        case forbidden
        /// No such job or node (404).
        case notFound
        /// The job cannot take this in its state (409).
        case conflict
        /// The user has submitted too much, too fast; worth asking again after this many seconds (429).
        case tooManyRequests(retryAfter: Int)
        /// The controller failed (500): the state store could not be read or written.
        case internalError
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// The store's failure as the controller reports it.
    static func store(_ e: StateStoreError) -> ControllerError {
        switch e.kind {
        case .notFound: ControllerError(.notFound, e.message)
        case .refused: ControllerError(.conflict, e.message)
        case .invalid: ControllerError(.badRequest, e.message)
        case .cannotOpen, .missing, .exists, .newerSchema, .io, .corrupt: ControllerError(.internalError, e.message)
        }
    }
}
