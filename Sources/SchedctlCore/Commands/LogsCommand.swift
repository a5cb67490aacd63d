import ArgumentParser
import Foundation
import Scheduler

/// `schedctl logs JOB [-f]`: the job's output as the controller holds it.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print a job's output; -f follows it until the job ends.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The job id, or an array task (42_7).", transform: parseJobReference) var job: JobReference
    @Flag(name: .shortAndLong, help: "Keep printing new output (polling every 0.5 s) until the job ends.")
    var follow = false

    func run() async throws {
        try await OutputFollower.live(try connection.client(), job: job).run(follow: follow)
    }
}
