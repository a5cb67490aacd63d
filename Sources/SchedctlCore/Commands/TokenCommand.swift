import ArgumentParser
import Foundation
import RasporedAPI

/// `schedctl token create | list | revoke`: admins make, see and end tokens for users, admins and agents.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage API tokens (admins).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a token; its secret is shown this once.",
            discussion:
                "For example: schedctl token create ana --expires 90d; schedctl token create agent-dgx01 --node dgx01")

        @OptionGroup var connection: ConnectionOptions
        @Argument(
            help: ArgumentHelp(
                "Whose token: the user its jobs belong to (a label for an agent token).", valueName: "user"))
        var name: String?
        @Option(help: "The same as the USER argument, for scripts written before it.") var user: String?
        @Flag(help: "An admin token.") var admin = false
        @Option(
            name: [.customLong("node"), .customLong("agent")],
            help: ArgumentHelp("An agent token for this node (its agent's endpoints only).", valueName: "node"))
        var node: String?
        @Option(
            help: ArgumentHelp(
                "How long it lasts: 90d, 12h, 2w (at most 3650d); default: until revoked.", valueName: "duration"))
        var expires: String?
        @Flag(name: .shortAndLong, help: "Print only the secret.") var quiet = false
        @Flag(help: "Print the API's JSON.") var json = false

        /// The user named by the argument or `--user`.
        var holder: String { name ?? user ?? "" }

        func validate() throws {
            if name != nil && user != nil { throw ValidationError("name the user once: USER or --user, not both") }
            if holder.trimmingCharacters(in: .whitespaces).isEmpty {
                throw ValidationError("name the token's user: schedctl token create USER")
            }
            if admin && node != nil { throw ValidationError("give --admin or --node NODE, not both") }
        }

        func run() async throws {
            let body = TokenRequest(user: holder, admin: admin ? true : nil, node: node, expires: expires)
            let token: TokenView = try await connection.client().post("/v1/tokens", body: body)
            if json {
                try printJSON(token)
            } else if quiet {
                print(token.secret)
            } else {
                let until = token.expires.map { " (expires \(localTime($0)))" } ?? ""
                print(
                    "Created \(token.role) token \(token.id) for \(token.user)\(until); the secret is shown this once:")
                print(token.secret)
                print("Use it with: export RASPORED_TOKEN=\(token.secret)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List tokens in force (never their secrets); --all adds revoked and expired ones.")

        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Revoked and expired tokens too.") var all = false
        @Flag(help: "Print the API's JSON ({\"tokens\": [...]}).") var json = false

        func run() async throws {
            var list: TokenList = try await connection.client().get("/v1/tokens")
            let now = nowEpoch()
            if !all { list.tokens = list.tokens.filter { Self.state($0, now: now) == "active" } }
            if json { try printJSON(list) } else { print(Self.table(list.tokens, now: now)) }
        }

        /// "active", "expired" or "revoked".
        static func state(_ t: TokenInfo, now: Int64) -> String {
            if t.revoked != nil { return "revoked" }
            if let e = t.expires, now >= e { return "expired" }
            return "active"
        }

        static func table(_ tokens: [TokenInfo], now: Int64) -> String {
            if tokens.isEmpty { return "No tokens." }
            var t = Table("ID", "USER", "ROLE", "NODE", "STATE", "CREATED", "EXPIRES", "LAST USED")
            for k in tokens {
                t.add([
                    "\(k.id)", k.user, k.role, k.node ?? "-", state(k, now: now), localTime(k.created),
                    k.expires.map(localTime) ?? "never", k.lastUsed.map { relative($0, now: now) } ?? "never",
                ])
            }
            return t.render()
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Revoke a token: refused from its next request on (the last admin token in force is kept).")

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The token's id (schedctl token list).") var id: Int64
        @Flag(help: "Print the API's JSON.") var json = false

        func validate() throws {
            if id <= 0 { throw ValidationError("a token id is a positive number, not \(id)") }
        }

        func run() async throws {
            let t: TokenInfo = try await connection.client().post("/v1/tokens/\(id)/revoke")
            if json {
                try printJSON(t)
            } else {
                print("Revoked \(t.role) token \(t.id) of \(t.user)" + (t.node.map { " (node \($0))" } ?? ""))
            }
        }
    }
}
