import Agent
import ArgumentParser
import Foundation
import Scheduler

/// `schedagent exec-bound`: the binding shim the launcher puts in front of every job.
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
        let message = BindingShim.execBound(cpus: try list(cpus, "cpus"), mems: try list(mems, "mems"), command: argv)
        FileHandle.standardError.write(Data("schedagent exec-bound: \(message)\n".utf8))
        if let statusFile { FileManager.default.createFile(atPath: statusFile, contents: Data(message.utf8)) }
        throw ExitCode(127)
    }
}
