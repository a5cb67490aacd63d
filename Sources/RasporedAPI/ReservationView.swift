/// Where a reservation's window stands at the time of the answer.
public enum ReservationState: String, Hashable, Sendable, Codable, CaseIterable {
    /// It starts later.
    case planned
    /// It holds its nodes now.
    case active
    /// It is over (kept for history until an admin deletes it).
    case ended
}

/// A reservation as `GET /v1/reservations` shows it. Times are seconds since the epoch.
public struct ReservationView: Hashable, Sendable, Codable {
    public var name: String
    /// Node names as recorded (a node since dropped from cluster.yaml stays listed; it holds nothing).
    public var nodes: [String]
    public var start: Int64
    public var end: Int64
    /// Accounts whose jobs may use the nodes during the window; empty for maintenance.
    public var accounts: [String]
    public var reason: String
    public var state: ReservationState
    /// Who created it, and when.
    public var createdBy: String
    public var created: Int64

    public init(
        name: String, nodes: [String], start: Int64, end: Int64, accounts: [String], reason: String,
        state: ReservationState, createdBy: String, created: Int64
    ) {
        self.name = name
        self.nodes = nodes
        self.start = start
        self.end = end
        self.accounts = accounts
        self.reason = reason
        self.state = state
        self.createdBy = createdBy
        self.created = created
    }
}

/// The answer to `GET /v1/reservations`, earliest start first.
public struct ReservationList: Hashable, Sendable, Codable {
    public var reservations: [ReservationView]

    public init(reservations: [ReservationView]) { self.reservations = reservations }
}

/// The answer to `POST /v1/reservations`: the reservation as recorded, and what the admin should know
/// (running jobs whose time limits reach into the window: the reservation does not stop them).
public struct ReservationCreated: Hashable, Sendable, Codable {
    public var reservation: ReservationView
    public var warnings: [String]

    public init(reservation: ReservationView, warnings: [String]) {
        self.reservation = reservation
        self.warnings = warnings
    }
}
