import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// `schedctl history`: ended jobs (yours, or everyone's for an admin), as a table or as a trace to replay.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List ended jobs: completed, failed, cancelled, timeout; as a table or as a trace.",
        discussion: """
            A user sees their own jobs; an admin sees everyone's (--user to pick one). --format trace writes the \
            jobs that ran as a trace in the project's CSV format (schedctl simulate --trace): submit in seconds \
            after the trace's origin (the earliest submit, floored to a whole second), duration from placement to \
            exit, and hold from exit to the allocation's release, to the millisecond. stderr says the origin, the hold past the run (released - end; median and \
            p95 in ms) and how many jobs never started (left out). A requeued job's last run is the one written.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, trace
    }

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only this user's jobs.") var user: String?
    @Option(help: "Jobs that ended this long ago (1d, 12h) or at this time (2026-12-01T08:00, local time) or later.")
    var since: String?
    @Option(help: "table, or trace (the project's trace CSV).") var format: Format = .table

    /// The states of an ended job.
    static let endedStates = JobState.allCases.filter(\.isFinal)

    func validate() throws { _ = try sinceEpoch(since, now: nowEpoch()) }

    func run() async throws {
        let client = try connection.client()
        let states = Self.endedStates.map(\.rawValue).joined(separator: ",")
        let from = try sinceEpoch(since, now: nowEpoch())
        let jobs = try await client.allJobs(["state=\(states)"]).jobs.filter { j in
            guard user == nil || j.user == user else { return false }
            guard let from else { return true }
            return (j.endTime ?? Int64.min) >= from
        }
        switch format {
        case .table:
            print(Self.table(jobs))
        case .trace:
            let trace = HistoryTrace(jobs)
            FileHandle.standardOutput.write(Data(trace.text.utf8))
            for line in trace.notes { FileHandle.standardError.write(Data("\(line)\n".utf8)) }
        }
    }

    static func table(_ jobs: [JobView]) -> String {
        if jobs.isEmpty { return "No ended jobs." }
        var t = Table("ID", "USER", "ACCOUNT", "STATE", "SUBMIT", "START", "END", "RUN TIME", "GPUS", "NODES")
        for j in jobs {
            t.add([
                JobText.id(j), j.user, j.account, j.state.rawValue, localTime(j.submitTime),
                j.startTime.map(localTime) ?? "-", j.endTime.map(localTime) ?? "-",
                j.startTime == nil ? "-" : JobText.time(j, now: 0), j.allocation == nil ? "0" : JobText.gpus(j),
                j.allocation.map { HostList.compact($0.nodes.map(\.node)) } ?? "-",
            ])
        }
        return t.render()
    }
}
