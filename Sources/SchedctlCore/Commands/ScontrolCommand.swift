import ArgumentParser
import Foundation
import Scheduler

/// `schedctl scontrol show hostnames [LIST]` and `scontrol show hostlist LIST`: what batch scripts ask Slurm's
/// scontrol inside a job (`scontrol` on a job's PATH is this command): a host list expanded to one name a
/// line (`LIST` defaults to `SLURM_JOB_NODELIST`), or names folded into one. What else scontrol does has a
/// schedctl command of its own (docs/schedctl.md, "Coming from Slurm"), which a refusal names.
struct ScontrolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scontrol",
        abstract: "Slurm's scontrol show hostnames/hostlist, as scontrol on a job's PATH runs it.",
        shouldDisplay: false)

    @Argument(parsing: .captureForPassthrough, help: "show hostnames [LIST] | show hostlist LIST")
    var words: [String] = []

    func run() throws {
        print(try Self.answer(words, environment: ProcessInfo.processInfo.environment))
    }

    /// At most this many names in a list it expands.
    static let maxNames = 65_536

    /// What `scontrol WORDS` prints, or a `CLIError` saying why not.
    static func answer(_ words: [String], environment: [String: String]) throws -> String {
        guard words.count >= 2, words.count <= 3, words[0] == "show" else { throw CLIError(refusal(words)) }
        let list = words.count == 3 ? words[2] : nil
        switch words[1] {
        case "hostnames", "hostname":
            guard let text = list ?? environment["SLURM_JOB_NODELIST"] else {
                throw CLIError("scontrol show hostnames: no host list given and SLURM_JOB_NODELIST is not set")
            }
            return try expand(text).joined(separator: "\n")
        case "hostlist":
            guard let list else { throw CLIError("scontrol show hostlist: give the names (a,b,c)") }
            return HostList.compact(try expand(list))
        default:
            throw CLIError(refusal(words))
        }
    }

    private static func expand(_ text: String) throws -> [String] {
        guard let names = RangeList.expandHosts(text, limit: maxNames), !names.isEmpty else {
            throw CLIError("cannot read the host list '\(text)' (dgx[01-03,05] or a,b,c; at most \(maxNames) names)")
        }
        return names
    }

    private static func refusal(_ words: [String]) -> String {
        "scontrol \(words.joined(separator: " ")) is not here: in a job, scontrol shows host lists (show "
            + "hostnames [LIST], show hostlist LIST); jobs and nodes are schedctl show, hold, release, update "
            + "and nodes (docs/schedctl.md, \"Coming from Slurm\")"
    }
}
