import ArgumentParser
import Foundation
import Scheduler

/// The one command researchers, admins and planners type.
public struct Schedctl: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "schedctl",
        abstract: "Raspored: the GPU cluster scheduler of the National AI Supercomputing Platform.",
        subcommands: [ClusterCommand.self, PlaceCommand.self]
    )

    public init() {}
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

/// A user-facing failure: one line on stderr, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// Writes JSON with sorted keys, so output is stable and diffable.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    print(String(decoding: data, as: UTF8.self))
}
