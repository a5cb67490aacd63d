/// A reservation as recorded: node names (not indices: cluster.yaml may change under it), the window in
/// seconds since the epoch, the accounts granted, why, who and when.
public struct ReservationRecord: Hashable, Sendable, Codable {
    public var name: String
    public var nodes: [String]
    public var start: Int64
    public var end: Int64
    /// Accounts whose jobs may use the nodes during the window; empty for maintenance.
    public var accounts: [String]
    public var reason: String
    public var createdBy: String
    public var created: Int64

    public init(
        name: String, nodes: [String], start: Int64, end: Int64, accounts: [String] = [], reason: String,
        createdBy: String, created: Int64
    ) {
        self.name = name
        self.nodes = nodes
        self.start = start
        self.end = end
        self.accounts = accounts
        self.reason = reason
        self.createdBy = createdBy
        self.created = created
    }
}
