import Foundation
import Scheduler

/// The body of `POST /v1/reservations` (admins): nodes set aside for a window of time.
///
/// `{"nodes": "dgx[05-06]", "start": "2026-12-01T08:00Z", "duration": "4h", "reason": "firmware update"}`,
/// with `end` instead of `duration`, `accounts` for an event whose jobs may use the nodes, and an optional
/// `name`. Times are `ReservationTime`s (a moment without a zone is UTC here); `duration` is text ("4h",
/// "1d12h") or, as Slurm reads it, minutes.
public struct ReservationRequest: Hashable, Sendable, Encodable {
    /// Node names, in the order given (a host list such as `dgx[05-06]` is expanded).
    public var nodes: [String]
    public var start: ReservationTime
    /// How long; exactly one of `duration` and `end` is given.
    public var duration: TimeSpan?
    public var end: ReservationTime?
    /// Accounts whose jobs may use the nodes during the window; empty for maintenance (nobody's).
    public var accounts: [String]
    /// Why, for whoever looks next; required.
    public var reason: String
    /// A name; the controller makes one (`maint-1`, `resv-2`) when nil.
    public var name: String?

    public init(
        nodes: [String], start: ReservationTime = .now, duration: TimeSpan? = nil, end: ReservationTime? = nil,
        accounts: [String] = [], reason: String, name: String? = nil
    ) {
        self.nodes = nodes
        self.start = start
        self.duration = duration
        self.end = end
        self.accounts = accounts
        self.reason = reason
        self.name = name
    }

    static let fields: Set<String> = ["nodes", "start", "duration", "end", "accounts", "reason", "name"]
    /// The most nodes one reservation names.
    public static let maxNodes = 65_536
    /// The longest reservation, and the furthest ahead one may start by `+span`.
    public static let longest = TimeSpan.days(3_650)

    /// Reads a request from a parsed JSON mapping; errors name the field and line. Checks the form only:
    /// the controller checks nodes, accounts and times against the cluster and the clock.
    public init(config n: ConfigNode) throws(ConfigError) {
        try n.onlyKeys(Self.fields)
        let nodesNode = try n.required("nodes")
        var names: [String] = []
        // A list of host lists, or one (whose commas inside brackets are the host list's own).
        let lists =
            nodesNode.isSequence
            ? try nodesNode.elements().map { (e) throws(ConfigError) in try e.string() } : [try nodesNode.string()]
        var seen: Set<String> = []
        for text in lists {
            guard let expanded = RangeList.expandHosts(text, limit: Self.maxNodes) else {
                throw nodesNode.error(
                    "'\(TerminalText.escaped(String(text.prefix(80))))' is not a host list (dgx05,dgx06 or dgx[05-06]) "
                        + "of at most \(Self.maxNodes) nodes")
            }
            for name in expanded where seen.insert(name).inserted {
                names.append(name)
                if names.count > Self.maxNodes { throw nodesNode.error("at most \(Self.maxNodes) nodes") }
            }
        }
        guard !names.isEmpty else { throw nodesNode.error("a reservation needs at least one node") }
        nodes = names
        func time(_ key: String) throws(ConfigError) -> ReservationTime? {
            try n.optional(key).map { (node) throws(ConfigError) in
                try ReservationTime.read(node, furthest: Self.longest)
            }
        }
        start = try time("start") ?? .now
        end = try time("end")
        duration = try n.optional("duration")?.timeSpan(atMost: Self.longest)
        switch (duration, end) {
        case (nil, nil): throw n.error("a reservation needs a duration or an end")
        case (_?, _?): throw n.error("give a duration or an end, not both")
        case let (d?, nil) where d.seconds <= 0: throw n.error("duration: a reservation must last longer than 0")
        default: break
        }
        accounts = []
        if let a = try n.optional("accounts") {
            for name in try a.stringList() where !name.isEmpty && !accounts.contains(name) {
                if let why = TerminalText.labelProblem(name, maxLength: 64) { throw a.error(why) }
                accounts.append(name)
            }
        }
        reason = try n.required("reason").label(maxLength: 1024).trimmingCharacters(in: .whitespaces)
        guard !reason.isEmpty else { throw n.error("a reservation needs a reason") }
        if let nameNode = try n.optional("name") {
            let text = try nameNode.string()
            guard Self.isValidName(text) else {
                throw nameNode.error(
                    "a reservation's name is letters, digits, '-', '_' and '.' (at most 64, a letter or digit first), not '\(TerminalText.escaped(text))'"
                )
            }
            name = text
        }
    }

    /// Letters, digits, `-`, `_`, `.`; at most 64; starting with a letter or digit (it goes in URLs).
    public static func isValidName(_ s: String) -> Bool {
        guard let first = s.first, s.count <= 64, first.isASCII, first.isLetter || first.isNumber else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    /// Parses a request body; malformed JSON and wrong fields are `ConfigError`s with line and field.
    public static func parse(json text: String) throws(ConfigError) -> ReservationRequest {
        try ReservationRequest(config: try ConfigNode.parseJSONObject(text))
    }

    enum Keys: String, CodingKey { case nodes, start, duration, end, accounts, reason, name }

    /// As `parse(json:)` reads it: times as text, the duration in seconds as text.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(nodes, forKey: .nodes)
        try c.encode(start.description, forKey: .start)
        try c.encodeIfPresent(duration.map { "\($0.seconds)s" }, forKey: .duration)
        try c.encodeIfPresent(end?.description, forKey: .end)
        if !accounts.isEmpty { try c.encode(accounts, forKey: .accounts) }
        try c.encode(reason, forKey: .reason)
        try c.encodeIfPresent(name, forKey: .name)
    }
}
