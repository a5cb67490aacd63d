import ArgumentParser

/// The node agent's command line: the agent connected to its controller, discovery, the node check, running
/// one job by hand.
@main
struct Schedagent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedagent",
        abstract: "Raspored node agent: discovers the node through hwloc and runs jobs bound to their resources.",
        subcommands: [
            RunCommand.self, DiscoverCommand.self, RunLocalCommand.self, ExecBoundCommand.self, WatchdogCommand.self,
        ]
    )
}

/// A user-facing failure: one line on stderr, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
