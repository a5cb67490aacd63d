import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// `schedctl audit`: the controller's audit log of admin actions (admins).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract:
            "Show the audit log: drains, resumes, reservations, tokens, reloads, cancels of others' jobs (admins).",
        discussion: """
            The latest entries that match, oldest first: when, who (user and token id), what, on what, and how it \
            ended (ok, refused, failed) with the reason given or the refusal's sentence.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Entries from this long ago (1d, 12h) or from this time (2026-12-01T08:00, local time) on.")
    var since: String?
    @Option(help: "Only this user's actions.") var actor: String?
    @Option(help: "At most this many entries, the latest (1 to 10000).") var limit = 100
    @Flag(help: "Print the API's JSON ({\"entries\": [...]}).") var json = false

    func validate() throws {
        _ = try sinceEpoch(since, now: nowEpoch())
        if !(1...10_000).contains(limit) { throw ValidationError("--limit takes 1 to 10000, not \(limit)") }
    }

    func run() async throws {
        var query = ["limit=\(limit)"]
        if let s = try sinceEpoch(since, now: nowEpoch()) { query.append("since=\(s)") }
        if let actor { query.append("actor=\(pathSegment(actor))") }
        let list: AuditList = try await connection.client().get("/v1/audit?" + query.joined(separator: "&"))
        if json { try printJSON(list) } else { print(Self.table(list.entries)) }
    }

    static func table(_ entries: [AuditEntry]) -> String {
        if entries.isEmpty { return "No audit entries." }
        var t = Table("TIME", "USER", "TOKEN", "ACTION", "TARGET", "OUTCOME", "DETAIL")
        for e in entries {
            t.add([
                localTime(e.time), e.user, e.tokenId.map { "\($0)" } ?? "-", e.action, e.target, e.outcome,
                JobText.clip(e.detail ?? "", 80),
            ])
        }
        return t.render()
    }
}
