import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// `schedctl history`: the jobs that ran or ended in a time window (sacct), as a table, CSV, JSON, or a trace
/// to replay.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the jobs that ran or ended in a time window, with GPU-hours, CPU time and peak memory.",
        discussion: """
            A user sees their own jobs and those of the accounts they coordinate; an admin sees everyone's. A job \
            is listed when one of its runs overlapped the window (--since to --until; default all the history the \
            controller keeps), or when it was cancelled within it before it started. --format picks the columns \
            (sacct's names work too): \(HistoryField.all.map(\.name).joined(separator: ", ")); default \
            \(HistoryField.defaults). --runs lists each run of a requeued job (42, 42.1, ...). --format trace \
            writes the ended jobs that ran as a trace in the project's CSV format (schedctl simulate --trace): \
            submit in seconds after the trace's origin (the earliest submit, floored to a whole second), \
            duration from placement to exit, and hold from exit to the allocation's release, to the \
            millisecond; stderr says the origin, the hold past the run (released - end; median and p95 in ms) \
            and how many jobs never started (left out). A requeued job's last run is the one written.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(
        help: ArgumentHelp(
            "Jobs that ran or ended this long ago (1d, 12h) or at this time (2026-12-01T08:00, local time) or later.",
            valueName: "time"))
    var since: String?
    @Option(help: ArgumentHelp("Jobs that ran at or before this time (same forms; now).", valueName: "time"))
    var until: String?
    @Option(help: ArgumentHelp("Only these users' jobs.", valueName: "user[,user...]")) var user: String?
    @Option(help: ArgumentHelp("Only these accounts' jobs.", valueName: "account[,...]")) var account: String?
    @Option(help: ArgumentHelp("Only these partitions' jobs.", valueName: "partition[,...]")) var partition: String?
    @Option(help: ArgumentHelp("Only jobs in these states (running, completed, ...).", valueName: "state[,...]"))
    var state: String?
    @Option(help: ArgumentHelp("Only jobs that ran on this node.", valueName: "node")) var node: String?
    @Option(
        help: ArgumentHelp(
            "The columns (comma-separated; see below), or trace (the project's trace CSV).", valueName: "fields"))
    var format: String = HistoryField.defaults
    @Flag(help: "One line per run: a requeued job's earlier runs too (sacct --duplicates).") var runs = false
    @Flag(help: "The columns as CSV: times in ISO 8601, lengths in seconds, sizes in bytes.") var csv = false
    @Flag(help: "The controller's answer as JSON (every page), with each job's runs.") var json = false

    /// The states of an ended job.
    static let endedStates = JobState.allCases.filter(\.isFinal)

    func validate() throws {
        _ = try pastTime(since, flag: "since", now: nowEpoch())
        _ = try pastTime(until, flag: "until", now: nowEpoch())
        if csv && json { throw ValidationError("--csv and --json are exclusive") }
        if format.lowercased() == "trace" {
            if csv || json || runs {
                throw ValidationError("--format trace writes its own CSV; drop --csv, --json and --runs")
            }
        } else if format.lowercased() != "table" {
            do { _ = try HistoryField.parse(format) } catch { throw ValidationError("--format: \(error)") }
        }
        if let state {
            for name in state.split(separator: ",") where JobState(rawValue: String(name)) == nil {
                throw ValidationError(
                    "--state: unknown state '\(name)' (\(JobState.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        }
    }

    /// The query of `GET /v1/history` for these options, at `now`.
    func query(now: Int64) throws -> [String] {
        var q: [String] = []
        if let s = try pastTime(since, flag: "since", now: now) { q.append("since=\(s)") }
        if let u = try pastTime(until, flag: "until", now: now) { q.append("until=\(u)") }
        for (name, value) in [("user", user), ("account", account), ("partition", partition), ("node", node)] {
            if let value { q.append("\(name)=\(pathSegment(value))") }
        }
        if format.lowercased() == "trace" {
            let ended = Set(Self.endedStates.map(\.rawValue))
            let asked = state.map { Set($0.split(separator: ",").map(String.init)) } ?? ended
            q.append("state=" + asked.intersection(ended).sorted().joined(separator: ","))
        } else if let state {
            q.append("state=\(pathSegment(state))")
        }
        return q
    }

    func run() async throws {
        let client = try connection.client()
        let now = Date()
        let nowMillis = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        let list = try await client.allJobs(try query(now: nowMillis / 1000), path: "/v1/history")
        if format.lowercased() == "trace" {
            let trace = HistoryTrace(list.jobs)
            FileHandle.standardOutput.write(Data(trace.text.utf8))
            for line in trace.notes { FileHandle.standardError.write(Data("\(line)\n".utf8)) }
            return
        }
        if json {
            return try printJSON(list)
        }
        let fields = try HistoryField.parse(format.lowercased() == "table" ? HistoryField.defaults : format)
        let lines = Self.lines(list.jobs, runs: runs, now: nowMillis)
        print(csv ? Self.csv(lines, fields) : Self.table(lines, fields))
    }

    /// A line per job, or per run with `runs` (a running job's current run last).
    static func lines(_ jobs: [JobView], runs: Bool, now: Int64) -> [HistoryLine] {
        jobs.flatMap { j -> [HistoryLine] in
            guard runs else { return [HistoryLine(job: j, now: now)] }
            var out = (j.runs ?? []).map { HistoryLine(job: j, run: $0, now: now) }
            if j.state == .running || out.isEmpty {
                out.append(HistoryLine(job: j, now: now, isCurrentRun: j.state == .running))
            }
            return out
        }
    }

    static func table(_ lines: [HistoryLine], _ fields: [HistoryField]) -> String {
        if lines.isEmpty { return "No jobs ran or ended in the window." }
        var t = Table(header: fields.map(\.header))
        for l in lines { t.add(fields.map { $0.table(l) }) }
        let jobs = Set(lines.map(\.job.id)).count
        let hours = lines.reduce(0) { $0 + $1.gpuSeconds } / 3600
        return t.render() + "\n\(jobs) job\(jobs == 1 ? "" : "s"), " + String(format: "%.2f", hours) + " GPU-hours"
    }

    static func csv(_ lines: [HistoryLine], _ fields: [HistoryField]) -> String {
        ([fields.map(\.name).joined(separator: ",")]
            + lines.map { l in
                fields.map { f in
                    let v = f.csv(l)
                    return v.isEmpty ? "" : TraceCSV.quote(v)
                }.joined(separator: ",")
            })
            .joined(separator: "\n")
    }
}
