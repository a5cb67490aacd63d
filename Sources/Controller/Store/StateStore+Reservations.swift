import Foundation
import GRDB

/// Reservations: recorded when created, kept after their window ends (history) until an admin deletes them.
extension StateStore {
    /// Records a reservation, committed before it returns. A name already recorded is refused.
    public func addReservation(_ r: ReservationRecord) throws(StateStoreError) {
        let nodes = try Self.json(r.nodes)
        let accounts = try Self.json(r.accounts)
        try write("record reservation \(r.name)") { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM reservations WHERE name = ?", arguments: [r.name]) == true {
                throw StateStoreError(.refused, "a reservation named '\(r.name)' exists")
            }
            try db.execute(
                sql: """
                    INSERT INTO reservations (name, nodes, start_time, end_time, accounts, reason, created_by, created)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [r.name, nodes, r.start, r.end, accounts, r.reason, r.createdBy, r.created])
        }
    }

    /// Every recorded reservation, ended ones included, earliest start first (then by name).
    public func reservations() throws(StateStoreError) -> [ReservationRecord] {
        try read("read reservations") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM reservations ORDER BY start_time, name").map(Self.reservation)
        }
    }

    /// Deletes the reservation named `name`; false when there is none.
    @discardableResult
    public func deleteReservation(named name: String) throws(StateStoreError) -> Bool {
        try write("delete reservation \(name)") { db in
            try db.execute(sql: "DELETE FROM reservations WHERE name = ?", arguments: [name])
            return db.changesCount == 1
        }
    }

    private static func json(_ strings: [String]) throws(StateStoreError) -> String {
        do { return String(decoding: try JSONEncoder().encode(strings), as: UTF8.self) } catch {
            throw StateStoreError(.invalid, "state store: cannot encode \(strings): \(error)")
        }
    }

    private static func reservation(_ row: Row) throws -> ReservationRecord {
        let name: String = try row.decode(forColumn: "name")
        func strings(_ column: String) throws -> [String] {
            let text: String = try row.decode(forColumn: column)
            guard let list = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
                throw StateStoreError(.corrupt, "state store: reservation \(name) has unreadable \(column) '\(text)'")
            }
            return list
        }
        return ReservationRecord(
            name: name, nodes: try strings("nodes"), start: try row.decode(forColumn: "start_time"),
            end: try row.decode(forColumn: "end_time"), accounts: try strings("accounts"),
            reason: try row.decode(forColumn: "reason"), createdBy: try row.decode(forColumn: "created_by"),
            created: try row.decode(forColumn: "created"))
    }
}
