import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// `schedctl queue`: pending and running jobs (yours, or everyone's for an admin).
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "List jobs: pending and running ones, or all with --all.",
        discussion: "A user sees their own jobs; an admin sees everyone's.")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only this user's jobs.") var user: String?
    @Option(help: "Only jobs in this state: \(JobState.allCases.map(\.rawValue).joined(separator: ", ")).")
    var state: String?
    @Flag(help: "Ended jobs too.") var all = false
    @Flag(help: "Print the API's JSON ({\"jobs\": [...]}).") var json = false

    func run() async throws {
        let client = try connection.client()
        let query = state.map { "?state=\(pathSegment($0))" } ?? ""
        var list: JobList = try await client.get("/v1/jobs" + query)
        list.jobs = list.jobs.filter { job in
            (user == nil || job.user == user) && (all || state != nil || !job.state.isFinal)
        }
        if json {
            try printJSON(list)
        } else {
            print(Self.text(list.jobs, now: nowEpoch()))
        }
    }

    static func text(_ jobs: [JobView], now: Int64) -> String {
        if jobs.isEmpty { return "No jobs." }
        var t = Table("ID", "USER", "NAME", "STATE", "GPUS", "NODES/REASON", "TIME", "EST START")
        for j in jobs {
            t.add([
                "\(j.id)", j.user, JobText.clip(j.name, 24), j.state.rawValue, JobText.gpus(j),
                JobText.clip(JobText.nodesOrReason(j), 60), JobText.time(j, now: now), JobText.estimatedStart(j),
            ])
        }
        return t.render()
    }
}
