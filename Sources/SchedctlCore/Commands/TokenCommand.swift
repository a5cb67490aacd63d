import ArgumentParser
import Foundation
import RasporedAPI

/// `schedctl token create`: admins make tokens for users, admins and agents.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage API tokens (admins).", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token; its secret is shown this once.")

        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Whose token: the user its jobs belong to (a label for an agent token).") var user: String
        @Flag(help: "An admin token.") var admin = false
        @Option(help: ArgumentHelp("An agent token for this node.", valueName: "node")) var agent: String?
        @Flag(name: .shortAndLong, help: "Print only the secret.") var quiet = false
        @Flag(help: "Print the API's JSON.") var json = false

        func validate() throws {
            if admin && agent != nil { throw ValidationError("give --admin or --agent NODE, not both") }
            if user.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--user must name someone") }
        }

        func run() async throws {
            let body = TokenRequest(user: user, admin: admin ? true : nil, node: agent)
            let token: TokenView = try await connection.client().post("/v1/tokens", body: body)
            if json {
                try printJSON(token)
            } else if quiet {
                print(token.secret)
            } else {
                print("Created \(token.role) token \(token.id) for \(token.user); the secret is shown this once:")
                print(token.secret)
                print("Use it with: export RASPORED_TOKEN=\(token.secret)")
            }
        }
    }
}
