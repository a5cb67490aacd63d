import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// `schedctl usage`: GPU-hours, jobs, mean wait and share of the machine over a period (sreport).
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Report GPU-hours, jobs, mean wait and share of the machine over a period, by account or other.",
        discussion: """
            Counts GPU time inside the period only (a run that crosses its start or end counts its part within; a \
            job running now counts up to now), every run of a requeued job. By account, each institute's row \
            includes its projects, listed under it. Share is GPU-hours over the machine's (its GPUs now × the \
            period). Mean wait is from submission to first start, over the jobs that first started in the period. \
            A user sees their own jobs and those of the accounts they coordinate; an admin the whole platform. \
            Periods are in local time; the default is this month so far.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(help: ArgumentHelp("A year, quarter, month or day: \(UsagePeriod.forms).", valueName: "period"))
    var period: String?
    @Option(help: ArgumentHelp("Instead of --period: from this time (1d, 2026-10-01T00:00).", valueName: "time"))
    var since: String?
    @Option(help: ArgumentHelp("With --since: to this time (default now).", valueName: "time")) var until: String?
    @Option(help: "Rows by account, user, partition or gpu-model.") var by: UsageGrouping = .account
    @Flag(help: "The rows as CSV (GPU-hours, share 0 to 1, mean wait in seconds).") var csv = false
    @Flag(help: "The controller's answer as JSON.") var json = false

    func validate() throws {
        if csv && json { throw ValidationError("--csv and --json are exclusive") }
        if period != nil && (since != nil || until != nil) {
            throw ValidationError("give --period, or --since (and --until), not both")
        }
        if until != nil && since == nil { throw ValidationError("--until needs --since") }
        _ = try window(now: nowEpoch())
    }

    /// The period asked for, in seconds since the epoch (no end: up to the controller's now), and how to name
    /// it.
    func window(now: Int64) throws -> (since: Int64, until: Int64?, name: String) {
        if let period {
            guard let p = UsagePeriod(period) else {
                throw ValidationError("--period takes \(UsagePeriod.forms), not '\(period)'")
            }
            return (p.since, p.until, p.name)
        }
        if let s = try pastTime(since, flag: "since", now: now) {
            let u = try pastTime(until, flag: "until", now: now)
            guard s < (u ?? now) else { throw ValidationError("--since must come before --until and now") }
            return (s, u, u.map { "\(localTime(s)) to \(localTime($0))" } ?? "since \(localTime(s))")
        }
        guard let m = UsagePeriod.month(of: now) else { return (max(now - 30 * 86400, 0), nil, "the last 30 days") }
        return (m.since, m.until, m.name)
    }

    func run() async throws {
        let w = try window(now: nowEpoch())
        let until = w.until.map { "&until=\($0)" } ?? ""
        let report: UsageReport = try await connection.client().get(
            "/v1/usage?since=\(w.since)\(until)&by=\(by.rawValue)")
        if json { return try printJSON(report) }
        print(csv ? Self.csv(report) : Self.table(report, name: w.name))
    }

    static func table(_ r: UsageReport, name: String) -> String {
        let from = localTime(Timestamp(millis: r.sinceMillis).seconds)
        let to = localTime(Timestamp(millis: r.untilMillis).seconds)
        var out = "Usage \(name): \(from) to \(to), \(r.totalGPUs) GPUs"
        if r.partial { out += " (your jobs and the accounts you coordinate)" }
        var t = Table(header: [r.by.uppercased(), "GPU-HOURS", "SHARE", "JOBS", "MEAN WAIT"])
        for row in r.rows + [r.total] {
            t.add([
                String(repeating: "  ", count: row.depth) + row.name, String(format: "%.2f", row.gpuSeconds / 3600),
                String(format: "%.1f%%", row.share * 100), "\(row.jobs)",
                row.meanWaitSeconds.map { humanDuration(Int64($0.rounded())) } ?? "-",
            ])
        }
        return out + "\n" + t.render()
    }

    static func csv(_ r: UsageReport) -> String {
        let header = "\(r.by),parent,gpu_hours,share,jobs,mean_wait_s"
        return
            ([header]
            + (r.rows + [r.total]).map { row in
                [
                    TraceCSV.quote(row.name), TraceCSV.quote(row.parent),
                    String(format: "%.4f", row.gpuSeconds / 3600), String(format: "%.6f", row.share), "\(row.jobs)",
                    row.meanWaitSeconds.map { String(format: "%.1f", $0) } ?? "",
                ].joined(separator: ",")
            }).joined(separator: "\n")
    }
}

extension UsageGrouping: ExpressibleByArgument {}
