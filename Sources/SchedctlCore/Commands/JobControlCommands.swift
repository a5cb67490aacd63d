import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// `schedctl hold`, `release` and `update` (Slurm's `scontrol hold | release | update`): one line per job or
/// array; non-zero when any was refused.
struct HoldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Hold pending jobs: they are not started until released.",
        discussion: """
            An array's id holds every pending task of the array. A job you hold, you may release; one an admin \
            holds, only an admin may.
            """)

    @OptionGroup var targets: JobTargets

    func run() async throws {
        try await JobAction.run(targets, path: "hold", body: nil) { "Held \($0)" }
    }
}

struct ReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Release held jobs: they may start again.",
        discussion: "An array's id releases every pending task of the array.")

    @OptionGroup var targets: JobTargets

    func run() async throws {
        try await JobAction.run(targets, path: "release", body: nil) { "Released \($0)" }
    }
}

struct UpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Change pending jobs: time limit, nice value, dependency, begin time, name.",
        discussion: """
            schedctl update 42 --time 2h --nice 100
            schedctl update 42 --dependency afterok:41      (--dependency none removes it)
            schedctl update 42 --begin now                  (start as soon as it can)
            An array's id updates every pending task of the array.
            """)

    @OptionGroup var targets: JobTargets
    @Option(name: [.customShort("t"), .long], help: "The time limit.") var time: String?
    @Option(help: "The nice value (admins may give a negative one).") var nice: Int?
    @Option(name: [.customShort("d"), .long], help: "The dependency, in Slurm's syntax; none removes it.")
    var dependency: String?
    @Option(name: [.customShort("b"), .long], help: "The earliest start (as submit's --begin).") var begin: String?
    @Option(name: [.customShort("J"), .customLong("job-name"), .customLong("name")], help: "The job's name.")
    var name: String?

    /// The body these options describe.
    func body() throws -> JobUpdateRequest {
        var u = JobUpdateRequest()
        do {
            u.time = try time.map { (t) throws(OptionValueError) in try OptionValue.time(t) }
            if let d = dependency {
                let text = d.trimmingCharacters(in: .whitespaces)
                u.dependency =
                    text.isEmpty || text.lowercased() == "none" ? .some(nil) : .some(try OptionValue.dependency(text))
            }
            u.begin = try begin.map { (b) throws(OptionValueError) in try BeginTime.parse(b) }
        } catch { throw ValidationError("\(error)") }
        u.nice = nice
        u.name = name
        if u.isEmpty {
            throw ValidationError("nothing to change: give --time, --nice, --dependency, --begin or --name")
        }
        return u
    }

    func validate() throws { _ = try body() }

    func run() async throws {
        let body = try JSONEncoder().encode(try body())
        try await JobAction.run(targets, path: "update", body: body) { "Updated \($0)" }
    }
}

/// The jobs an action names, and the controller to ask.
struct JobTargets: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Job ids, array ids, or array tasks (42_7).", transform: parseJobReference)
    var jobs: [JobReference]

    func validate() throws {
        if jobs.isEmpty { throw ValidationError("give at least one job id") }
    }
}

/// One action on a list of job references: a POST per reference, one line per answer.
enum JobAction {
    /// Posts to `/v1/jobs/REF/PATH` for each reference and prints `done("job 42")` (or, for an array, the
    /// tasks it applied to); a refusal is printed and makes the exit status non-zero, the others go on.
    static func run(
        _ targets: JobTargets, path: String, body: Data?, done: (String) -> String
    ) async throws {
        let client = try targets.connection.client()
        var worst = ExitStatus.success
        for ref in targets.jobs {
            do {
                let reply = try client.expectOK(try await client.send(.post, "/v1/jobs/\(ref)/\(path)", body: body))
                if let list = try? JSONDecoder().decode(JobList.self, from: Data(reply.body)) {
                    let n = list.jobs.count
                    print(done("array \(ref) (\(n) task\(n == 1 ? "" : "s"))"))
                } else {
                    print(done("job \(JobText.id(try client.decode(reply, as: JobView.self)))"))
                }
            } catch let e as ControllerError {
                if case .unreachable = e { throw e }
                printError(e.description)
                worst = max(worst, e.exitStatus)
            }
        }
        if worst != ExitStatus.success { throw CommandFailed(status: worst) }
    }
}
