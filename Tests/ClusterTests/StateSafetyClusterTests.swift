import Foundation
import RasporedAPI
import Testing

/// The `schedulerd` binary over its state directory: it refuses to start on a missing or empty database
/// without `--init`, refuses `--init` over a cluster state or a leftover admin token, and keeps its state
/// directory private.
@Suite(.serialized, .timeLimit(.minutes(2))) struct StateSafetyClusterTests {
    /// Runs schedulerd to its exit (it refuses before it listens) and returns its status and stderr.
    func refusal(_ cluster: LocalCluster, _ extra: [String]) throws -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try LocalCluster.binary("schedulerd"))
        p.arguments =
            [
                "--cluster", cluster.clusterFile, "--state", cluster.dir + "/state", "--listen",
                "127.0.0.1:\(cluster.port)",
            ]
            + extra
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    func mode(_ path: String) throws -> Int {
        try #require((FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue)
    }

    @Test func withoutInitAMissingOrEmptyStateIsRefusedAndLeftAsItIs() throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        let state = c.dir + "/state"
        let missing = try refusal(c, [])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no state directory at \(state); start with --init"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: state))

        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: state + "/state.sqlite", contents: Data()))
        let empty = try refusal(c, [])
        #expect(empty.status != 0)
        #expect(empty.stderr.contains("\(state)/state.sqlite is empty (0 bytes)"), "\(empty.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: state + "/state.sqlite")).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: state + "/admin.token"))

        // A leftover admin token file: --init refuses it and keeps it, and creates no database.
        try FileManager.default.removeItem(atPath: state + "/state.sqlite")
        try "rsp_old\n".write(toFile: state + "/admin.token", atomically: true, encoding: .utf8)
        let leftover = try refusal(c, ["--init"])
        #expect(leftover.status != 0)
        #expect(leftover.stderr.contains("admin.token exists"), "\(leftover.stderr)")
        #expect(try String(contentsOfFile: state + "/admin.token", encoding: .utf8) == "rsp_old\n")
        #expect(!FileManager.default.fileExists(atPath: state + "/state.sqlite"))
    }

    @Test func initOnceThenTheSameStateAtEveryStartPrivateAgain() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        let state = c.dir + "/state"
        try await c.startController()
        let first = c.adminToken
        #expect(try mode(state) == 0o700)
        #expect(try mode(state + "/state.sqlite") == 0o600)
        #expect(try mode(state + "/admin.token") == 0o600)
        c.kill(c.controller, signal: SIGTERM)

        let again = try refusal(c, ["--init"])
        #expect(again.status != 0)
        #expect(again.stderr.contains("already holds a cluster state"), "\(again.stderr)")

        chmod(state, 0o1777)
        try await c.startController()
        #expect(c.adminToken == first)
        #expect(try mode(state) == 0o700)
        let list: TokenList = try await c.get("/v1/tokens", token: c.adminToken)
        #expect(list.tokens.map(\.user) == ["admin"])
    }
}
