import Foundation
import GRDB
import Testing

@testable import Controller

/// Opening the cluster state: a missing or empty database is never silently replaced, an existing one is
/// never created over, the admin token file is never overwritten, and the directory is private.
@Suite struct StateDirectoryTests {
    func mode(_ path: String) throws -> Int {
        try #require((FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue)
    }

    @Test func aMissingDatabaseIsRefusedAndNothingIsCreated() throws {
        try withStateDirectory { dir in
            let error = #expect(throws: StateStoreError.self) { try StateStore(directory: dir, create: false) }
            #expect(error?.kind == .missing)
            #expect(
                error?.message
                    == "state store: no state database at \(dir)/state.sqlite; start with --init to create a new "
                    + "cluster state")
            #expect(!FileManager.default.fileExists(atPath: dir))
        }
    }

    @Test func anEmptyDatabaseIsRefusedAndLeftAsItIs() throws {
        try withStateDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let path = dir + "/" + StateStore.fileName
            #expect(FileManager.default.createFile(atPath: path, contents: Data()))
            let error = #expect(throws: StateStoreError.self) { try StateStore(directory: dir, create: false) }
            #expect(error?.kind == .missing)
            #expect(error?.message.contains("\(path) is empty (0 bytes)") == true, "\(String(describing: error))")
            #expect(error?.message.contains("--init") == true)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty)
        }
    }

    @Test func aDatabaseWithoutTheSchemaIsRefused() throws {
        try withStateDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            // What a crash between creating the file and its first migration leaves: a header, no tables.
            try DatabasePool(path: dir + "/" + StateStore.fileName).close()
            let error = #expect(throws: StateStoreError.self) { try StateStore(directory: dir, create: false) }
            #expect(error?.kind == .missing)
            #expect(error?.message.contains("holds no cluster state") == true)
            // Creating there is allowed: it holds nothing to lose.
            let store = try StateStore(directory: dir, create: true)
            #expect(try store.tokenCount() == 0)
        }
    }

    @Test func creatingOverAClusterStateIsRefusedAndKeepsIt() throws {
        try withStateDirectory { dir in
            do {
                let store = try StateStore(directory: dir, create: true)
                _ = try store.submit(submission("kept"), at: .seconds(t0))
                try store.close()
            }
            let error = #expect(throws: StateStoreError.self) { try StateStore(directory: dir, create: true) }
            #expect(error?.kind == .exists)
            #expect(error?.message.contains("already holds a cluster state") == true)
            #expect(try StateStore(directory: dir, create: false).jobs().map(\.name) == ["kept"])
        }
    }

    @Test func theDatabaseFilesAreReadableByTheirOwnerOnly() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            _ = try store.submit(submission(), at: .seconds(t0))
            #expect(try mode(dir) == 0o700)
            #expect(try mode(store.path) == 0o600)
            try store.close()
            chmod(store.path, 0o644)
            _ = try StateStore(directory: dir, create: false)
            #expect(try mode(store.path) == 0o600)
        }
    }

    @Test func initCreatesTheDirectoryTheDatabaseAndTheAdminToken() throws {
        try withStateDirectory { dir in
            let state = dir + "/a/state"
            let (store, written) = try StateDirectory.open(state, initialize: true, at: t0)
            let path = try #require(written)
            #expect(path == state + "/admin.token")
            #expect(try mode(state) == 0o700)
            #expect(try mode(path) == 0o600)
            #expect(try mode(store.path) == 0o600)
            let secret = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .newlines)
            #expect(try store.principal(secret, at: t0)?.role == .admin)
        }
    }

    @Test func withoutInitAMissingDirectoryIsRefusedAndNotCreated() throws {
        try withStateDirectory { dir in
            let error = #expect(throws: ControllerError.self) {
                try StateDirectory.open(dir, initialize: false, at: t0)
            }
            #expect(error?.message == "no state directory at \(dir); start with --init to create a new cluster state")
            #expect(!FileManager.default.fileExists(atPath: dir))
        }
    }

    @Test func initOverAnExistingStateIsRefusedAndChangesNothing() throws {
        try withStateDirectory { dir in
            let (store, path) = try StateDirectory.open(dir, initialize: true, at: t0)
            try store.close()
            let secret = try String(contentsOfFile: try #require(path), encoding: .utf8)
            // The state is checked first, so the refusal names it rather than the admin token file.
            let error = #expect(throws: StateStoreError.self) { try StateDirectory.open(dir, initialize: true, at: t0) }
            #expect(error?.kind == .exists)
            #expect(error?.message.contains("\(dir)/state.sqlite already holds a cluster state") == true)
            #expect(try String(contentsOfFile: dir + "/admin.token", encoding: .utf8) == secret)
            let (reopened, none) = try StateDirectory.open(dir, initialize: false, at: t0)
            #expect(none == nil)
            #expect(try reopened.tokenCount() == 1)
            #expect(try reopened.principal(secret.trimmingCharacters(in: .newlines), at: t0)?.role == .admin)
        }
    }

    @Test func aLeftoverAdminTokenFileIsNeverOverwritten() throws {
        try withStateDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let file = dir + "/admin.token"
            try "rsp_from_an_older_state\n".write(toFile: file, atomically: true, encoding: .utf8)
            let error = #expect(throws: ControllerError.self) { try StateDirectory.open(dir, initialize: true, at: t0) }
            #expect(error?.message.contains("\(file) exists, but the state database holds no token") == true)
            #expect(try String(contentsOfFile: file, encoding: .utf8) == "rsp_from_an_older_state\n")
            #expect(!FileManager.default.fileExists(atPath: dir + "/state.sqlite"), "refused before creating it")
            // A state whose tokens were all deleted, with the file left: refused too, the file kept.
            try StateStore(directory: dir, create: true).close()
            #expect(throws: ControllerError.self) { try StateDirectory.open(dir, initialize: false, at: t0) }
            #expect(try String(contentsOfFile: file, encoding: .utf8) == "rsp_from_an_older_state\n")
        }
    }

    @Test func theDirectoryIsMadePrivateAtEveryStart() throws {
        try withStateDirectory { dir in
            try StateDirectory.open(dir, initialize: true, at: t0).store.close()
            chmod(dir, 0o1777)
            #expect(try mode(dir) == 0o1777)
            let (store, _) = try StateDirectory.open(dir, initialize: false, at: t0)
            #expect(try mode(dir) == 0o700)
            try store.close()
        }
    }

    @Test(.enabled(if: geteuid() == 0, "only root can give a directory to another user"))
    func aDirectoryOfAnotherUserIsRefused() throws {
        try withStateDirectory { dir in
            try StateDirectory.open(dir, initialize: true, at: t0).store.close()
            chmod(dir, 0o755)
            #expect(chown(dir, 65534, 65534) == 0)
            let error = #expect(throws: ControllerError.self) {
                try StateDirectory.open(dir, initialize: false, at: t0)
            }
            #expect(error?.message.contains("belongs to") == true)
            #expect(error?.message.contains("uid 65534") == true)
            #expect(error?.message.contains("refusing to use it") == true)
            #expect(try mode(dir) == 0o755, "left as it was")
        }
    }
}
