import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// `schedctl idle`: running jobs holding GPUs their agents see idle.
struct IdleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle",
        abstract: "List running jobs whose GPUs stay idle: all of them for an admin, yours for a user.",
        discussion: """
            A job is listed when every GPU its agents sampled has stayed under the controller's threshold \
            (schedulerd --idle-gpu-utilization, default 5 %) since the time shown; FLAGGED once that has lasted \
            --idle-gpu-after (default 1h). GPUs are sampled through NVML or ROCm SMI on the node; a job whose GPUs \
            cannot be read is never listed. --all lists jobs idle for less than the threshold's time too.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Also jobs idle for less than the threshold's time.") var all = false
    @Flag(help: "The jobs as the API shows them (JSON).") var json = false

    func run() async throws {
        let jobs = try await connection.client().allJobs(["state=running"]).jobs.filter {
            $0.gpusIdleSince != nil && (all || $0.gpusIdle == true)
        }
        if json { return try printJSON(JobList(jobs: jobs)) }
        print(Self.table(jobs, now: Date().timeIntervalSince1970))
    }

    static func table(_ jobs: [JobView], now: Double) -> String {
        if jobs.isEmpty { return "No running job holds idle GPUs." }
        var t = Table("ID", "USER", "ACCOUNT", "GPUS", "NODES", "IDLE SINCE", "IDLE FOR", "MEAN UTIL", "FLAGGED")
        for j in jobs {
            let since = j.gpusIdleSince ?? now
            let gpus = (j.usage ?? [:]).values.flatMap { $0.gpus ?? [] }
            let mean =
                gpus.isEmpty
                ? "-" : String(format: "%.1f%%", gpus.map(\.meanUtilization).reduce(0, +) / Double(gpus.count))
            t.add([
                JobText.id(j), j.user, j.account, JobText.gpus(j),
                j.allocation.map { HostList.compact($0.nodes.map(\.node)) } ?? "-", localTime(Int64(since)),
                humanDuration(Int64(now - since)), mean, j.gpusIdle == true ? "yes" : "no",
            ])
        }
        return t.render()
    }
}
