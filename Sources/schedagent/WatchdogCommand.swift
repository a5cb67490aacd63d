import Agent
import ArgumentParser
import Foundation
import Glibc

/// `schedagent watchdog` (hidden): started by `schedagent run`, stops the node's runs when the agent's lease
/// has lapsed and the agent cannot (docs/agent.md, "Fencing: no job runs twice").
struct WatchdogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watchdog",
        abstract: "Stop the runs of an agent whose lease lapsed (started by `schedagent run`).",
        shouldDisplay: false)

    @Option(help: ArgumentHelp("The agent's state directory.", valueName: "dir"))
    var stateDir: String

    @Option(help: ArgumentHelp("The agent's pid.", valueName: "pid"))
    var agentPid: Int32

    func run() async throws {
        // Its own session: signals for the agent's terminal or process group (Ctrl-C, SIGSTOP of the
        // group) do not reach it.
        _ = setsid()
        await Watchdog(stateDirectory: URL(fileURLWithPath: stateDir, isDirectory: true), agentPid: agentPid).run()
    }
}
