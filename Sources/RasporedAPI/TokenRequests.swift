/// The body of `POST /v1/tokens` (admins only).
public struct TokenRequest: Hashable, Sendable, Codable {
    /// Whose token: the user its jobs will belong to.
    public var user: String
    /// An admin token rather than a user token.
    public var admin: Bool?
    /// An agent token for this node instead (its agent's endpoints only); `user` is then a label.
    public var node: String?
    /// How long it lasts from its creation, as text ("90d", "12h"); nil: until revoked.
    public var expires: String?

    public init(user: String, admin: Bool? = nil, node: String? = nil, expires: String? = nil) {
        self.user = user
        self.admin = admin
        self.node = node
        self.expires = expires
    }
}

/// The answer to `POST /v1/tokens`: the secret, shown this once (only its digest is stored).
public struct TokenView: Hashable, Sendable, Codable {
    public var id: Int64
    public var user: String
    /// "user", "admin" or "agent".
    public var role: String
    /// The bearer secret (`rsp_…`).
    public var secret: String
    /// When it stops authenticating (seconds since the epoch); nil: never.
    public var expires: Int64?

    public init(id: Int64, user: String, role: String, secret: String, expires: Int64? = nil) {
        self.id = id
        self.user = user
        self.role = role
        self.secret = secret
        self.expires = expires
    }
}
