import Agent
import ArgumentParser
import Foundation
import Scheduler

/// `schedagent exec-bound`: the binding shim, by hand (the launcher runs the same C code as `raspored-exec`).
struct ExecBoundCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec-bound",
        abstract: "Bind CPUs and NUMA memory, then exec the command (used by the launcher).",
        shouldDisplay: false)

    @Option(name: .long, help: "Logical CPUs, e.g. 0-3,8.")
    var cpus: String?

    @Option(name: .long, help: "NUMA nodes for memory, e.g. 0.")
    var mems: String?

    @Option(name: .long, help: "File to write the failure to when binding or exec fails (read by the launcher).")
    var statusFile: String?

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments, after --.")
    var command: [String] = []

    func run() throws {
        func list(_ text: String?, _ what: String) throws -> [Int] {
            guard let text else { return [] }
            guard let ids = RangeList.expandIntegers(text), !ids.isEmpty else {
                throw ValidationError("--\(what) '\(text)' is not a list like 0-3,8")
            }
            return ids
        }
        let argv = command.first == "--" ? Array(command.dropFirst()) : command
        let status = BindingShim.execBound(
            cpus: try list(cpus, "cpus"), mems: try list(mems, "mems"), command: argv, statusFile: statusFile)
        throw ExitCode(status)
    }
}
