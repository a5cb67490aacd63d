/// A token as `GET /v1/tokens` shows it: never its secret or digest. Times are seconds since the epoch.
public struct TokenInfo: Hashable, Sendable, Codable {
    public var id: Int64
    public var user: String
    /// "user", "admin" or "agent".
    public var role: String
    /// The node of an agent token.
    public var node: String?
    public var created: Int64
    /// When it stops authenticating; absent: never.
    public var expires: Int64?
    /// When it last authenticated, to the minute; absent: never.
    public var lastUsed: Int64?
    /// When it was revoked; absent while in force.
    public var revoked: Int64?

    public init(
        id: Int64, user: String, role: String, node: String? = nil, created: Int64, expires: Int64? = nil,
        lastUsed: Int64? = nil, revoked: Int64? = nil
    ) {
        self.id = id
        self.user = user
        self.role = role
        self.node = node
        self.created = created
        self.expires = expires
        self.lastUsed = lastUsed
        self.revoked = revoked
    }
}

/// The answer to `GET /v1/tokens`, lowest id first.
public struct TokenList: Hashable, Sendable, Codable {
    public var tokens: [TokenInfo]

    public init(tokens: [TokenInfo]) { self.tokens = tokens }
}
