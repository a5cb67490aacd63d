/// What a token may do.
public enum TokenRole: String, Hashable, Sendable, Codable, CaseIterable {
    /// Submits jobs and reads and cancels its own.
    case user
    /// Everything: all jobs, node operations, tokens.
    case admin
    /// One node's agent: its own node's endpoints only.
    case agent
}

/// Who a request comes from, once its bearer token is authenticated.
public struct Principal: Hashable, Sendable, Codable {
    public var tokenId: Int64
    public var user: String
    public var role: TokenRole
    /// The node an agent token belongs to; nil for users and admins.
    public var node: String?

    public init(tokenId: Int64, user: String, role: TokenRole, node: String? = nil) {
        self.tokenId = tokenId
        self.user = user
        self.role = role
        self.node = node
    }
}
