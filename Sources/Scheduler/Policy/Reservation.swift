/// Nodes set aside for a window of time: maintenance (granted to nobody) or an event (granted to accounts,
/// whose jobs may run on them). No other job may hold a reserved node at any moment of the window: a job is
/// kept off the nodes of every window its time limit would reach into, so windows are never overrun.
public struct Reservation: Hashable, Sendable, Codable {
    public var name: String
    /// Node indices in the cluster.
    public var nodes: [Int]
    /// Seconds (since the epoch at wall-clock time; since the trace's start in simulation).
    public var start: Int64
    public var end: Int64
    /// Accounts whose jobs may use the nodes during the window; empty for maintenance.
    public var accounts: [String]
    public var reason: String

    public init(name: String, nodes: [Int], start: Int64, end: Int64, accounts: [String] = [], reason: String) {
        self.name = name
        self.nodes = nodes
        self.start = start
        self.end = end
        self.accounts = accounts
        self.reason = reason
    }

    /// A job of `account` running over [from, until) would overlap the window and is not granted it.
    public func excludes(account: String, from: Int64, until: Int64) -> Bool {
        from < end && until > start && !accounts.contains(account)
    }
}

/// The reservations the engine honours, and the nodes they keep a job off.
public struct ReservationBook: Hashable, Sendable {
    public private(set) var reservations: [Reservation] = []
    /// Every reservation's end, ascending (a simulation's repeating windows are thousands of reservations; a
    /// pass asks for the earliest end, a backfill reservation for those after a time).
    public private(set) var ends: [Int64] = []

    public init(_ reservations: [Reservation] = []) {
        self.reservations = reservations.sorted { ($0.start, $0.name) < ($1.start, $1.name) }
        ends = reservations.map(\.end).sorted()
    }

    public var isEmpty: Bool { reservations.isEmpty }

    /// When the first reservation to end ends.
    public var earliestEnd: Int64? { ends.first }

    /// The ends after `t`, ascending.
    public func ends(after t: Int64) -> ArraySlice<Int64> { ends[firstEnd(after: t)...] }

    private func firstEnd(after t: Int64) -> Int {
        var lo = 0, hi = ends.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ends[mid] <= t { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    public mutating func add(_ r: Reservation) {
        let at = reservations.firstIndex { ($0.start, $0.name) > (r.start, r.name) } ?? reservations.count
        reservations.insert(r, at: at)
        ends.insert(r.end, at: firstEnd(after: r.end))
    }

    @discardableResult
    public mutating func remove(named name: String) -> Reservation? {
        guard let i = reservations.firstIndex(where: { $0.name == name }) else { return nil }
        let r = reservations.remove(at: i)
        ends.remove(at: firstEnd(after: r.end) - 1)
        return r
    }

    /// Drops windows that ended by `t`.
    public mutating func expire(before t: Int64) {
        reservations.removeAll { $0.end <= t }
        ends.removeFirst(firstEnd(after: t))
    }

    /// Nodes a job of `account` running over [from, until) may not use, with the reservation that keeps it
    /// off each (ascending node order, each node once).
    public func excluded(account: String, from: Int64, until: Int64) -> [(node: Int, reservation: Int)] {
        var out: [(Int, Int)] = []
        for (i, r) in reservations.enumerated() {
            if r.start >= until { break }
            guard r.excludes(account: account, from: from, until: until) else { continue }
            for n in r.nodes where !out.contains(where: { $0.0 == n }) { out.append((n, i)) }
        }
        return out.sorted { $0.0 < $1.0 }
    }
}
