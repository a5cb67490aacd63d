/// The body of every error response: one sentence a person can act on.
///
/// `{"error": "65 GPUs requested; the cluster has 48"}`
public struct ErrorBody: Hashable, Sendable, Codable {
    public var error: String

    public init(error: String) { self.error = error }
}
