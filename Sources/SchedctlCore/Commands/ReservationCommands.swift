import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// `schedctl reserve`: set nodes aside for a window, for maintenance or for some accounts (admins).
struct ReserveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reserve",
        abstract: "Reserve nodes for a window: maintenance, or an event for some accounts (admins).",
        discussion: """
            No job of another account is started on the nodes if its time limit would reach into the window. \
            Running jobs are not stopped: those whose time limits reach into it are named in a warning. Times: \
            now, +2h (from now), or 2026-12-01T08:00 (local time; add Z or +01:00 for another zone).
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The nodes: dgx05,dgx06 or dgx[05-06].") var nodes: String
    @Option(help: "When the window starts: now, +2h, 2026-12-01T08:00 (local time).") var start = "now"
    @Option(help: "How long it lasts: 4h, 1d12h, 2-00:00:00, or minutes.") var duration: String?
    @Option(help: "When it ends, instead of --duration (the forms of --start).") var end: String?
    @Option(
        name: .customLong("account"),
        help: "An account whose jobs may use the nodes during the window (A,B or repeated); none: maintenance.")
    var accounts: [String] = []
    @Option(help: "Why, for whoever looks next (\"firmware update, ticket 4411\").") var reason: String
    @Option(help: "A name (default: maint-N, or resv-N with accounts).") var name: String?
    @Flag(help: "Print the API's JSON.") var json = false

    func validate() throws { _ = try request() }

    /// The request, with times read in the local zone (sent as seconds since the epoch).
    func request() throws -> ReservationRequest {
        guard RangeList.expandHosts(nodes) != nil, !nodes.isEmpty else {
            throw ValidationError("--nodes takes node names: dgx05,dgx06 or dgx[05-06], not '\(nodes)'")
        }
        if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must say why") }
        func time(_ option: String, _ text: String) throws -> ReservationTime {
            guard let t = ReservationTime(parsing: text, timeZone: .current) else {
                throw ValidationError("\(option) takes a time (\(ReservationTime.forms)), not '\(text)'")
            }
            return t
        }
        var span: TimeSpan?
        switch (duration, end) {
        case (nil, nil): throw ValidationError("give --duration or --end")
        case (_?, _?): throw ValidationError("give --duration or --end, not both")
        case let (d?, nil):
            guard let s = TimeSpan(parsing: d), s.seconds > 0 else {
                throw ValidationError("--duration takes a length such as 4h, 1d12h or 2-00:00:00, not '\(d)'")
            }
            span = s
        default: break
        }
        if let name, !ReservationRequest.isValidName(name) {
            throw ValidationError("--name takes letters, digits, '-', '_' and '.' (at most 64), not '\(name)'")
        }
        let list = accounts.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        return ReservationRequest(
            nodes: RangeList.expandHosts(nodes) ?? [], start: try time("--start", start), duration: span,
            end: try end.map { try time("--end", $0) }, accounts: list.filter { !$0.isEmpty }, reason: reason,
            name: name)
    }

    func run() async throws {
        let created: ReservationCreated = try await connection.client().post("/v1/reservations", body: try request())
        for w in created.warnings { printStderr("schedctl: warning: \(w)") }
        if json { try printJSON(created) } else { print(Self.line(created.reservation)) }
    }

    /// "Reserved maint-1: dgx[05-06] from 2026-12-01 08:00:00 to 2026-12-01 12:00:00 (4h), maintenance (nobody's jobs)"
    static func line(_ r: ReservationView) -> String {
        "Reserved \(r.name): \(HostList.compact(r.nodes)) from \(localTime(r.start)) to \(localTime(r.end)) "
            + "(\(humanDuration(r.end - r.start))), " + ReservationsCommand.who(r)
    }
}

/// `schedctl reservations`: planned and active reservations (everyone may list them).
struct ReservationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reservations", abstract: "List reservations: planned and active ones, or all with --all.")

    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Ended ones too (kept until deleted).") var all = false
    @Flag(help: "Print the API's JSON ({\"reservations\": [...]}).") var json = false

    func run() async throws {
        let list: ReservationList = try await connection.client().get("/v1/reservations" + (all ? "?all=true" : ""))
        if json { try printJSON(list) } else { print(Self.table(list.reservations)) }
    }

    /// "maintenance (nobody's jobs)", or "for accounts etf, ivi".
    static func who(_ r: ReservationView) -> String {
        r.accounts.isEmpty
            ? "maintenance (nobody's jobs)"
            : "for account\(r.accounts.count == 1 ? "" : "s") "
                + r.accounts.joined(separator: ", ")
    }

    static func table(_ reservations: [ReservationView]) -> String {
        if reservations.isEmpty { return "No reservations." }
        var t = Table("NAME", "STATE", "NODES", "START", "END", "ACCOUNTS", "REASON")
        for r in reservations {
            t.add([
                r.name, r.state.rawValue, HostList.compact(r.nodes), localTime(r.start), localTime(r.end),
                r.accounts.isEmpty ? "-" : r.accounts.joined(separator: ","), JobText.clip(r.reason, 60),
            ])
        }
        return t.render()
    }
}

/// `schedctl unreserve NAME` (admins).
struct UnreserveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unreserve", abstract: "Delete a reservation: its nodes take any job again (admins).")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The reservation's name.") var name: String
    @Flag(help: "Print the API's JSON.") var json = false

    func run() async throws {
        let r: ReservationView = try await connection.client().delete("/v1/reservations/\(pathSegment(name))")
        if json {
            try printJSON(r)
        } else {
            print(
                "Deleted reservation \(r.name) (\(HostList.compact(r.nodes)), \(localTime(r.start)) to \(localTime(r.end)))"
            )
        }
    }
}
