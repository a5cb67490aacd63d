import Hummingbird
import RasporedAPI
import Scheduler

/// `/v1/history`, `/v1/usage` and `/v1/shares`: what ran, how much of the machine each group used over a
/// period, and each account's fair-share standing now.
struct AccountingRoutes {
    let core: ControllerCore

    /// The latest time a query may name, in seconds since the epoch (its milliseconds must fit an Int64).
    static let latest = Int64.max / 1000 - 1

    func register(on group: RouterGroup<APIRequestContext>) {
        group.get("/history") { request, context in
            let principal = try context.requirePrincipal()
            let query = try QueryParameters(
                request,
                allowed: ["since", "until", "user", "account", "partition", "state", "node", "limit", "after"])
            let (since, until) = try Self.window(query)
            var states: Set<JobState>?
            if let text = query.text("state") {
                states = []
                for name in Self.list(text) {
                    guard let s = JobState(rawValue: name) else {
                        let names = JobState.allCases.map(\.rawValue).joined(separator: ", ")
                        throw APIError(
                            .badRequest, "unknown job state '\(TerminalText.escaped(name))' (states: \(names))")
                    }
                    states?.insert(s)
                }
            }
            let limit = try query.integer("limit", in: 1...Int64(JobList.maxLimit), what: "the most jobs to list")
            let filter = HistoryFilter(
                sinceMillis: since, untilMillis: until, users: query.text("user").map { Set(Self.list($0)) },
                accounts: query.text("account").map { Set(Self.list($0)) },
                partitions: query.text("partition").map { Set(Self.list($0)) }, states: states,
                node: query.text("node"),
                afterId: try query.integer("after", in: 0...Int64.max, what: "the job id to list after"),
                limit: Int(limit ?? Int64(JobList.defaultLimit)))
            let page = try await core.history(filter, by: principal)
            return try JSONResponse.make(JobList(jobs: page.jobs, next: page.next))
        }
        group.get("/usage") { request, context in
            let principal = try context.requirePrincipal()
            let query = try QueryParameters(request, allowed: ["since", "until", "by"])
            let (since, until) = try Self.window(query)
            var grouping = UsageGrouping.account
            if let text = query.text("by") {
                guard let g = UsageGrouping(rawValue: text) else {
                    let names = UsageGrouping.allCases.map(\.rawValue).joined(separator: ", ")
                    throw APIError(.badRequest, "by is one of \(names), not '\(TerminalText.escaped(text))'")
                }
                grouping = g
            }
            return try JSONResponse.make(
                try await core.usage(sinceMillis: since, untilMillis: until, by: grouping, principal: principal))
        }
        group.get("/shares") { request, context in
            _ = try QueryParameters(request, allowed: [])
            let principal = try context.requirePrincipal()
            return try JSONResponse.make(try await core.shares(by: principal))
        }
    }

    /// `since` and `until` (seconds since the epoch) as milliseconds: from the epoch and to the latest time
    /// when absent.
    static func window(_ query: QueryParameters) throws -> (Int64, Int64) {
        let since = try query.integer("since", in: 0...latest, what: "a time in seconds since the epoch") ?? 0
        let until = try query.integer("until", in: 0...latest, what: "a time in seconds since the epoch") ?? latest
        guard since <= until else { throw APIError(.badRequest, "since (\(since)) is after until (\(until))") }
        return (since * 1000, until * 1000)
    }

    /// A comma-separated list's items, empty ones dropped.
    static func list(_ text: String) -> [String] { text.split(separator: ",").map(String.init) }
}
