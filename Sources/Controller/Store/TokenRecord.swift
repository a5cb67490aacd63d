/// A token as recorded, without its secret or digest: whose it is, what it may do, and its life.
/// Times are seconds since the epoch.
public struct TokenRecord: Hashable, Sendable {
    public var id: Int64
    public var user: String
    public var role: TokenRole
    /// The node an agent token belongs to; nil for user and admin tokens.
    public var node: String?
    public var created: Int64
    /// When it stops authenticating; nil: never.
    public var expires: Int64?
    /// When it last authenticated, to the minute (`StateStore.lastUsedInterval`); nil: never.
    public var lastUsed: Int64?
    /// When an admin revoked it; nil while it is in force.
    public var revoked: Int64?

    public init(
        id: Int64, user: String, role: TokenRole, node: String? = nil, created: Int64, expires: Int64? = nil,
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

    /// Whether it authenticates at `time`: not revoked, and not past its expiry.
    public func isLive(at time: Int64) -> Bool {
        revoked == nil && (expires.map { time < $0 } ?? true)
    }
}

/// What a bearer secret is worth at the time of a request.
public enum TokenCheck: Hashable, Sendable {
    /// A token in force: who holds it.
    case valid(Principal)
    /// No token has this secret (or its row was deleted).
    case unknown
    /// Token `id` expired at `at` (seconds since the epoch).
    case expired(id: Int64, at: Int64)
    /// Token `id` was revoked at `at`.
    case revoked(id: Int64, at: Int64)
}

/// A token as the store's cache holds it between reads of its row.
struct CachedToken: Sendable {
    var principal: Principal
    var expires: Int64?
    /// The `last_used` the row holds (or is being given).
    var lastUsed: Int64?
    /// When the row was last read (the caller's clock).
    var checked: Int64
}
