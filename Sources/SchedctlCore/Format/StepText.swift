import RasporedAPI
import Scheduler

/// A job's steps as `schedctl show` lists them: id, nodes, tasks, state, exit, command.
enum StepText {
    static func table(_ steps: [StepView]) -> String {
        var table = Table("STEP", "NODES", "TASKS", "STATE", "EXIT", "COMMAND")
        for s in steps {
            let exit = s.exitCode.map(String.init) ?? s.signal.map { "signal \($0)" } ?? "-"
            table.add([
                s.id, HostList.compact(s.nodes), String(s.nodes.count * (s.tasksPerNode ?? 1)), s.state.rawValue, exit,
                s.command.map(shellQuoted).joined(separator: " ") + (s.pty ? " (pty)" : ""),
            ])
        }
        return "Steps:\n" + table.render().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
    }
}
