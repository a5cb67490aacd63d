/// The body of `POST /v1/nodes/{name}/drain`.
public struct DrainRequest: Hashable, Sendable, Codable {
    /// Why, for whoever looks next ("GPU 3 ECC errors, ticket 4411"); required.
    public var reason: String

    public init(reason: String) { self.reason = reason }
}
