/// The answer to `GET /v1/jobs`, lowest id first, a page at a time.
public struct JobList: Hashable, Sendable, Codable {
    public var jobs: [JobView]
    /// The cluster's queue policy ("fifo", "backfill", "fairshare"), which orders the pending jobs; set by
    /// `GET /v1/jobs` only.
    public var policy: String?
    /// More jobs follow: ask again with `after` set to this (the last id of this page); nil on the last page.
    public var next: Int64?

    /// Jobs in a page when the request gives no `limit`, and the most it may ask for.
    public static let defaultLimit = 1_000
    public static let maxLimit = 10_000

    public init(jobs: [JobView], policy: String? = nil, next: Int64? = nil) {
        self.jobs = jobs
        self.policy = policy
        self.next = next
    }
}

/// The answer to `GET /v1/nodes`, in cluster.yaml's order.
public struct NodeList: Hashable, Sendable, Codable {
    public var nodes: [NodeView]

    public init(nodes: [NodeView]) { self.nodes = nodes }
}

/// The answer to `GET /healthz`.
public struct Health: Hashable, Sendable, Codable {
    /// "ok" while the controller serves.
    public var status: String

    public init(status: String) { self.status = status }
}

/// The answer to `POST /v1/cluster/reload`.
public struct ClusterReloaded: Hashable, Sendable, Codable {
    /// Nodes in the description now.
    public var nodes: Int
    /// Nodes it added.
    public var added: [String]

    public init(nodes: Int, added: [String]) {
        self.nodes = nodes
        self.added = added
    }
}
