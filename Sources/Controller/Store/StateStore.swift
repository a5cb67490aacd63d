import Foundation
import GRDB
import Synchronization
import Scheduler

/// The controller's durable state: jobs, node states, tokens, in one SQLite database in WAL mode.
///
/// Every method is synchronous and thread-safe: reads run concurrently, writes are serialized by
/// SQLite, and a method that writes returns only after its transaction is committed with
/// `synchronous = FULL`, so the WAL is on disk (fsync) before the caller hears of it. Async callers
/// (the HTTP layer) should call it off the cooperative pool or accept that one write blocks one thread
/// for one fsync; see docs/controller-store.md.
public final class StateStore: Sendable {
    /// The database file's name inside the state directory.
    public static let fileName = "state.sqlite"

    /// The database file.
    public let path: String
    let pool: DatabasePool
    /// Principals of tokens seen, by digest: every request authenticates, and tokens change rarely.
    /// Cleared when a token is deleted.
    let principals = Mutex<[String: Principal]>([:])

    /// Opens (creating when absent) the store in `directory`, and brings its schema up to date.
    public init(directory: String) throws(StateStoreError) {
        let path = URL(fileURLWithPath: directory).appendingPathComponent(Self.fileName).path
        self.path = path
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StateStoreError(.cannotOpen, "state store: cannot open \(path): cannot create \(directory): \(error)")
        }
        var config = Configuration()
        // A second process (a CLI reading the file, a restarted controller) may hold the write lock briefly.
        config.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // WAL (DatabasePool's mode) with FULL: each commit fsyncs the WAL, so a committed transaction
            // survives power loss, not only a crash of this process. Set here, on the pool's one writer
            // connection: GRDB sets NORMAL on it after `prepareDatabase` runs, which would only sync at
            // checkpoints. (Readers never commit, so their setting does not matter.)
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        } catch {
            throw StateStoreError(.cannotOpen, "state store: cannot open \(path): \(error)")
        }
        let migrator = Self.migrator
        do {
            if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
                throw StateStoreError(
                    .newerSchema,
                    "state store: cannot open \(path): it was written by a newer controller "
                        + "(its schema has migrations this one does not know)")
            }
            try migrator.migrate(pool)
        } catch let e as StateStoreError {
            throw e
        } catch {
            throw StateStoreError(.cannotOpen, "state store: cannot open \(path): schema migration failed: \(error)")
        }
    }

    /// Closes the database; later calls fail. Without it the database closes when the store is released.
    public func close() throws(StateStoreError) {
        do { try pool.close() } catch { throw .io("close the database", path, error) }
    }

    /// SQLite's own check of the file; "ok" when it is sound.
    public func integrityCheck() throws(StateStoreError) -> [String] {
        do { return try pool.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") } } catch {
            throw .io("check integrity", path, error)
        }
    }

    /// Runs `body` in one write transaction, mapping failures to `StateStoreError` naming `what`.
    func write<T: Sendable>(_ what: String, _ body: @Sendable (Database) throws -> T) throws(StateStoreError) -> T {
        do { return try pool.write(body) } catch { throw .io(what, path, error) }
    }

    /// Runs `body` on a read snapshot, mapping failures to `StateStoreError` naming `what`.
    func read<T: Sendable>(_ what: String, _ body: @Sendable (Database) throws -> T) throws(StateStoreError) -> T {
        do { return try pool.read(body) } catch { throw .io(what, path, error) }
    }
}
