import ArgumentParser
import Foundation
import Scheduler
import Synchronization

/// The one command researchers, admins and planners type.
public struct Schedctl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "schedctl",
        abstract: "Raspored: the GPU cluster scheduler of the National AI Supercomputing Platform.",
        discussion: """
            The controller is RASPORED_CONTROLLER (default \(ClientConfig.defaultController)) and the token \
            RASPORED_TOKEN, or controller:/token:/tokenFile: in ~/.config/raspored/config.yaml; \
            --controller and --token override both. An https controller's certificate is checked against \
            --ca-file, RASPORED_CA or ca: in the config file, else the system's trust store. Exit status: 0 done, 1 refused by the controller, \
            2 usage, configuration or connection, 3 the controller failed. See docs/schedctl.md.
            """,
        subcommands: [
            SubmitCommand.self, RunStepCommand.self, AllocCommand.self, ExecCommand.self, AttachCommand.self,
            QueueCommand.self, HistoryCommand.self, UsageCommand.self, SharesCommand.self, IdleCommand.self,
            ShowCommand.self,
            LogsCommand.self, CancelCommand.self,
            HoldCommand.self, ReleaseCommand.self, UpdateCommand.self, NodesCommand.self, DrainCommand.self,
            ResumeCommand.self, ReserveCommand.self,
            ReservationsCommand.self, UnreserveCommand.self, TokenCommand.self, AuditCommand.self,
            ClusterCommand.self, PlaceCommand.self, SimulateCommand.self, ScontrolCommand.self,
        ]
    )

    public init() {}

    /// `execute` from a synchronous `main`: the command runs as a task on the concurrency pool while the
    /// main thread waits for its status. An `async` main instead hands the main thread to `dispatch_main`,
    /// whose `pthread_exit` unwinds the thread's stack; in the static release executable that first unwind
    /// sorts the whole unwind table, a cost every one-shot command would pay.
    public static func executeWaiting(_ arguments: [String]? = nil) -> Int32 {
        let status = Mutex<Int32>(ExitStatus.success)
        let done = DispatchSemaphore(value: 0)
        Task {
            let s = await execute(arguments)
            status.withLock { $0 = s }
            done.signal()
        }
        done.wait()
        return status.withLock { $0 }
    }

    /// Runs schedctl with `arguments` (the process's when nil) and returns its exit status; every failure
    /// is one line on stderr, `schedctl: error: ...`.
    public static func execute(_ arguments: [String]? = nil) async -> Int32 {
        do {
            let words = arguments ?? Array(CommandLine.arguments.dropFirst())
            // `submit` is parsed on its own, not through the tree: scripts start schedctl once per job,
            // and the tree would reflect every subcommand first. Its help and errors read the same.
            var command: ParsableCommand =
                words.first == "submit"
                ? try SubmitCommand.parseAsRoot(Array(words.dropFirst())) : try parseAsRoot(words)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return ExitStatus.success
        } catch let e as CLIError {
            printError(e.description)
            return e.status
        } catch let e as ControllerError {
            printError(e.description)
            return e.exitStatus
        } catch let e as CommandFailed {
            return e.status
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                return 0
            }
            let message = self.message(for: error).replacingOccurrences(of: "Error: ", with: "")
            printError(message.split(separator: "\n").first.map(String.init) ?? message)
            FileHandle.standardError.write(Data("Try 'schedctl --help' for usage.\n".utf8))
            return ExitStatus.usage
        }
    }
}

/// Writes `schedctl: error: MESSAGE` to stderr; each of its lines escaped (`TerminalText.escaped`), since a
/// message may quote what someone else wrote.
func printError(_ message: String) {
    printStderr("schedctl: error: " + message)
}

/// Writes a message to stderr (errors, warnings and notes, which must not mix with machine-readable stdout),
/// each of its lines escaped (`TerminalText.escaped`): a warning quotes a script's options or a controller's
/// words, and a terminal escape in them must not reach the terminal.
func printStderr(_ message: String) {
    let lines = message.split(separator: "\n", omittingEmptySubsequences: false).map {
        TerminalText.escaped(String($0))
    }
    FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
}

/// A command whose errors were already reported (one line each); only its exit status is left to give.
struct CommandFailed: Error {
    var status: Int32
}

/// `--cluster FILE`, defaulting to ./cluster.yaml.
struct ClusterOption: ParsableArguments {
    @Option(name: .long, help: "The cluster description (default: ./cluster.yaml).")
    var cluster: String = "cluster.yaml"

    func load() throws -> ClusterSpec {
        do {
            return try ClusterSpec.load(file: cluster)
        } catch {
            throw CLIError(error.description)
        }
    }
}

/// A user-facing failure: one line on stderr (`schedctl: error: ...`) and a non-zero exit status, by
/// default 2 (usage: the command line, or a file it names, is wrong).
struct CLIError: Error, CustomStringConvertible {
    var description: String
    var status: Int32
    init(_ message: String, status: Int32 = ExitStatus.usage) {
        description = message
        self.status = status
    }
}

/// Writes JSON with sorted keys, so output is stable and diffable.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    print(String(decoding: data, as: UTF8.self))
}
