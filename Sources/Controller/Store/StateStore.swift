import Foundation
import GRDB
import Scheduler
import Synchronization

/// The controller's durable state: jobs, node states, reservations, tokens, the audit log, in one SQLite database
/// in WAL mode.
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
    /// Tokens seen, by digest: every request authenticates, and tokens change rarely. Revoking or deleting a
    /// token through the store drops its entry; an entry older than `tokenRecheckSeconds` is read again, so a
    /// row changed behind the store's back takes effect within that bound (StateStore+Tokens.swift).
    let tokenCache = Mutex<[String: CachedToken]>([:])

    /// Opens the store in `directory` and brings its schema up to date.
    ///
    /// With `create` false the database must hold a cluster state: a missing or empty (0-byte) file, or one
    /// without the store's schema, is refused (`.missing`) rather than silently replaced by an empty state.
    /// With `create` true the directory (0700) and database are made for a new cluster state, and a database
    /// that already holds one is refused (`.exists`): creating never replaces state. Either way the database
    /// and its WAL files are left readable by their owner only (0600).
    public init(directory: String, create: Bool) throws(StateStoreError) {
        let path = URL(fileURLWithPath: directory).appendingPathComponent(Self.fileName).path
        self.path = path
        if create {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw StateStoreError(
                    .cannotOpen, "state store: cannot open \(path): cannot create \(directory): \(error)")
            }
        } else {
            try Self.requireStateFile(path)
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
            let applied = try pool.read { try migrator.appliedIdentifiers($0) }
            if create && !applied.isEmpty { throw StateStoreError.exists(path) }
            if !create && applied.isEmpty {
                throw StateStoreError(
                    .missing,
                    "state store: \(path) holds no cluster state (no schema); start with --init to create a new "
                        + "cluster state there, or restore the database from a backup")
            }
            try migrator.migrate(pool)
        } catch let e as StateStoreError {
            try? pool.close()
            throw e
        } catch {
            try? pool.close()
            throw StateStoreError(.cannotOpen, "state store: cannot open \(path): schema migration failed: \(error)")
        }
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            guard chmod(file, 0o600) == 0 else {
                let why = String(cString: strerror(errno))
                try? pool.close()
                throw StateStoreError(.cannotOpen, "state store: cannot make \(file) private (chmod 0600): \(why)")
            }
        }
    }

    /// Whether `directory` holds a database with a cluster state (at least one migration applied), read
    /// without creating, migrating or changing anything. A file that is not a database is an error.
    public static func holdsClusterState(directory: String) throws(StateStoreError) -> Bool {
        let path = URL(fileURLWithPath: directory).appendingPathComponent(fileName).path
        var info = stat()
        guard stat(path, &info) == 0, info.st_size > 0 else { return false }
        do {
            let queue = try DatabaseQueue(path: path)
            defer { try? queue.close() }
            return try queue.read { db in
                try db.tableExists("grdb_migrations")
                    && (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grdb_migrations") ?? 0) > 0
            }
        } catch {
            throw StateStoreError(.cannotOpen, "state store: cannot open \(path): \(error)")
        }
    }

    /// Refuses a database file that cannot hold a cluster state: missing, empty, or not readable and writable.
    private static func requireStateFile(_ path: String) throws(StateStoreError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT {
                throw StateStoreError(
                    .missing,
                    "state store: no state database at \(path); start with --init to create a new cluster state")
            }
            throw StateStoreError(.cannotOpen, "state store: cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw StateStoreError(.cannotOpen, "state store: cannot open \(path): it is not a regular file")
        }
        guard info.st_size > 0 else {
            throw StateStoreError(
                .missing,
                "state store: the state database \(path) is empty (0 bytes); restore it from a backup, or remove it "
                    + "and start with --init to create a new cluster state")
        }
        guard access(path, R_OK | W_OK) == 0 else {
            throw StateStoreError(
                .cannotOpen, "state store: cannot read and write \(path): \(String(cString: strerror(errno)))")
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
