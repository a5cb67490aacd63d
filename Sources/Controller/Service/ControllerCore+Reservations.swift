import Foundation
import Logging
import RasporedAPI
import Scheduler

/// Reservations (Slurm's `scontrol create reservation`): nodes set aside for a window, for maintenance or
/// for the accounts granted. The store records them (by node name); the queue book holds those not yet
/// over (by node index), and the engine keeps every other job off their nodes for any moment of the window
/// its time limit would reach into. Ended ones stay in the store, as history, until an admin deletes them.
extension ControllerCore {
    /// Creates a reservation (admins only), committed before the engine honours it; then a full pass runs.
    /// Running jobs on its nodes are not touched: those whose time limits reach into the window are named
    /// in the answer's warnings.
    public func reserve(_ r: ReservationRequest, by p: Principal) throws(ControllerError) -> ReservationCreated {
        try requireAdmin(p, to: "create a reservation")
        let target = r.name ?? "new reservation"
        return try audited(p, .reservationCreate, target) { (note: inout AuditNote) throws(ControllerError) in
            let created = try createReservation(r, by: p)
            let v = created.reservation
            note.target = v.name
            note.detail =
                "\(v.nodes.joined(separator: ",")) from \(Self.describeTime(v.start)) to \(Self.describeTime(v.end)), "
                + (v.accounts.isEmpty ? "maintenance" : "for \(v.accounts.joined(separator: ","))") + ": \(v.reason)"
            return created
        }
    }

    /// `reserve` once the caller is known to be an admin.
    func createReservation(_ r: ReservationRequest, by p: Principal) throws(ControllerError) -> ReservationCreated {
        var r = r
        r.nodes = r.nodes.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        r.reason = r.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !r.nodes.isEmpty else { throw ControllerError(.badRequest, "a reservation needs at least one node") }
        guard !r.reason.isEmpty else { throw ControllerError(.badRequest, "a reservation needs a reason") }
        if let name = r.name, !ReservationRequest.isValidName(name) {
            throw ControllerError(
                .badRequest,
                "a reservation's name is letters, digits, '-', '_' and '.' (at most 64, a letter or digit first), "
                    + "not '\(name)'")
        }
        var indices: [Int] = []
        for name in r.nodes {
            do { indices.append(try nodeIndex(name)) } catch { throw ControllerError(.badRequest, error.message) }
        }
        if !spec.accounts.isEmpty {
            for a in r.accounts where spec.account(named: a) == nil {
                let known = spec.accounts.map(\.name).joined(separator: ", ")
                throw ControllerError(.badRequest, "unknown account '\(a)' (accounts: \(known))")
            }
        }
        let now = clock()
        let asked = r.start.resolve(now: now)
        let end = r.end?.resolve(now: now) ?? asked + (r.duration?.seconds ?? 0)
        guard end > asked else {
            throw ControllerError(
                .badRequest,
                "a reservation must end after it starts (start \(Self.describeTime(asked)), end \(Self.describeTime(end)))"
            )
        }
        guard end > now else {
            throw ControllerError(
                .badRequest,
                "the window is already over: it ends at \(Self.describeTime(end)), before now (\(Self.describeTime(now)))"
            )
        }
        // A start in the past begins the window now.
        let start = max(asked, now)
        let recorded = try stored { () throws(StateStoreError) in try store.reservations() }
        let name = r.name ?? Self.freshName(prefix: r.accounts.isEmpty ? "maint" : "resv", taken: recorded.map(\.name))
        if recorded.contains(where: { $0.name == name }) {
            throw ControllerError(.conflict, "a reservation named '\(name)' exists")
        }
        for other in recorded where other.start < end && start < other.end {
            guard let node = r.nodes.first(where: other.nodes.contains) else { continue }
            throw ControllerError(
                .conflict,
                "\(node) is already reserved from \(Self.describeTime(other.start)) to \(Self.describeTime(other.end)) "
                    + "(\(other.name): \(other.reason))")
        }
        let record = ReservationRecord(
            name: name, nodes: r.nodes, start: start, end: end, accounts: r.accounts, reason: r.reason,
            createdBy: p.user, created: now)
        let warnings = overrunWarnings(record)
        try stored { () throws(StateStoreError) in try store.addReservation(record) }
        book.reservations.add(
            Reservation(name: name, nodes: indices, start: start, end: end, accounts: r.accounts, reason: r.reason))
        nodeVersion += 1
        logger.notice(
            "reservation created",
            metadata: [
                "name": "\(name)", "nodes": "\(r.nodes.joined(separator: ","))", "start": "\(start)", "end": "\(end)",
                "accounts": "\(r.accounts.joined(separator: ","))", "by": "\(p.user)", "reason": "\(r.reason)",
            ])
        needsFullPass = true
        schedule()
        return ReservationCreated(reservation: Self.view(record, now: clock()), warnings: warnings)
    }

    /// Reservations, earliest start first: those planned or active, or every one recorded with `includeEnded`.
    /// Anyone with a token may list them.
    public func reservations(includeEnded: Bool = false) throws(ControllerError) -> [ReservationView] {
        let now = clock()
        let all = try stored { () throws(StateStoreError) in try store.reservations() }
        return all.map { Self.view($0, now: now) }.filter { includeEnded || $0.state != .ended }
    }

    /// Deletes a reservation (admins only), planned, active or ended; the engine stops honouring it at once
    /// and a full pass runs.
    public func unreserve(_ name: String, by p: Principal) throws(ControllerError) -> ReservationView {
        try requireAdmin(p, to: "delete a reservation")
        return try audited(p, .reservationDelete, name) { (note: inout AuditNote) throws(ControllerError) in
            let all = try stored { () throws(StateStoreError) in try store.reservations() }
            guard let record = all.first(where: { $0.name == name }) else {
                throw ControllerError(.notFound, "no reservation '\(name)'")
            }
            _ = try stored { () throws(StateStoreError) in try store.deleteReservation(named: name) }
            book.reservations.remove(named: name)
            nodeVersion += 1
            logger.notice("reservation deleted", metadata: ["name": "\(name)", "by": "\(p.user)"])
            needsFullPass = true
            schedule()
            note.detail =
                "\(record.nodes.joined(separator: ",")) from \(Self.describeTime(record.start)) to "
                + "\(Self.describeTime(record.end)): \(record.reason)"
            return Self.view(record, now: clock())
        }
    }

    /// A full pass once a window is over (the pass drops it from the book): jobs kept off its nodes may
    /// start. Called by `sweep`.
    func endReservationWindows() {
        let now = clock()
        let over = book.reservations.reservations.filter { $0.end <= now }
        guard !over.isEmpty else { return }
        for r in over { logger.info("reservation window over", metadata: ["name": "\(r.name)"]) }
        nodeVersion += 1
        needsFullPass = true
        schedule()
    }

    /// The active reservation holding node `i` now, if any.
    func activeReservation(node i: Int) -> String? {
        let now = clock()
        return book.reservations.reservations.first { $0.start <= now && now < $0.end && $0.nodes.contains(i) }?.name
    }

    /// "job 12 (ana, account ivi) on dgx05 may run until …, into the window; …" for each running job on the
    /// reservation's nodes whose time limit reaches past its start and whose account is not granted.
    func overrunWarnings(_ r: ReservationRecord) -> [String] {
        let ids = Set(r.nodes.flatMap { onNode[$0] ?? [] })
        return ids.sorted().compactMap { id -> String? in
            guard let j = live[id], j.state == .running, !r.accounts.contains(j.account) else { return nil }
            let until = (j.startTime ?? clock()) + j.timeLimit.seconds
            guard until > r.start else { return nil }
            let nodes = j.nodes.filter(r.nodes.contains).joined(separator: ", ")
            return "job \(id) (\(j.user), account \(j.account)) on \(nodes) may run until \(Self.describeTime(until)), "
                + "into the window; the reservation does not stop it (cancel it to free the node)"
        }
    }

    /// The book's reservations from the recorded ones not over by `now`: node names become indices; a node
    /// no longer in the cluster description is skipped (and logged), the record kept as it is.
    static func bookReservations(
        _ records: [ReservationRecord], spec: ClusterSpec, now: Int64, logger: Logger
    ) -> [Reservation] {
        records.filter { $0.end > now }.compactMap { r in
            var indices: [Int] = []
            for name in r.nodes {
                guard let i = spec.nodeIndex(named: name) else {
                    logger.warning(
                        "reservation names a node not in the cluster description; skipped",
                        metadata: ["reservation": "\(r.name)", "node": "\(name)"])
                    continue
                }
                indices.append(i)
            }
            guard !indices.isEmpty else { return nil }
            return Reservation(
                name: r.name, nodes: indices, start: r.start, end: r.end, accounts: r.accounts, reason: r.reason)
        }
    }

    static func view(_ r: ReservationRecord, now: Int64) -> ReservationView {
        let state: ReservationState = now < r.start ? .planned : now < r.end ? .active : .ended
        return ReservationView(
            name: r.name, nodes: r.nodes, start: r.start, end: r.end, accounts: r.accounts, reason: r.reason,
            state: state, createdBy: r.createdBy, created: r.created)
    }

    /// `maint-1`, `maint-2`, …: the first not taken.
    static func freshName(prefix: String, taken: [String]) -> String {
        let used = Set(taken)
        var n = 1
        while used.contains("\(prefix)-\(n)") { n += 1 }
        return "\(prefix)-\(n)"
    }
}
