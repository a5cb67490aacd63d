import Foundation

/// The controller's state directory as the controller starts on it: private to the user it runs as,
/// holding a cluster state, or made for a new one only when asked (`schedulerd --init`), never replacing one.
public enum StateDirectory {
    /// Opens the cluster state in `directory` and returns its store, and the admin token file's path when
    /// one was written.
    ///
    /// - Without `initialize`, the directory and a database holding a cluster state must exist: a missing
    ///   directory, a missing, empty (0-byte) or schema-less database is refused with a sentence pointing at
    ///   `--init`, never replaced by an empty state.
    /// - With `initialize`, a missing directory is created, then the database and the first admin token; a
    ///   database that already holds a cluster state is refused, as is a leftover `admin.token`.
    /// - Either way the directory must belong to the user the controller runs as, and is set to 0700 (its
    ///   mode is tightened at every start, whatever it was: a 1777 directory would let anyone swap files in);
    ///   the database files are set to 0600 by the store.
    public static func open(
        _ directory: String, initialize: Bool, at time: Int64
    ) throws -> (store: StateStore, adminToken: String?) {
        var info = stat()
        if stat(directory, &info) != 0 {
            guard errno == ENOENT else {
                throw ControllerError(
                    .internalError, "cannot use the state directory \(directory): \(String(cString: strerror(errno)))")
            }
            guard initialize else {
                throw ControllerError(
                    .notFound, "no state directory at \(directory); start with --init to create a new cluster state")
            }
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ControllerError(.internalError, "cannot create the state directory \(directory): \(error)")
            }
            guard stat(directory, &info) == 0 else {
                throw ControllerError(
                    .internalError, "cannot use the state directory \(directory): \(String(cString: strerror(errno)))")
            }
        }
        try secure(directory, info)
        if initialize {
            // Both before anything is created, so a refused --init leaves the directory as it found it.
            if try StateStore.holdsClusterState(directory: directory) {
                throw StateStoreError.exists(
                    URL(fileURLWithPath: directory).appendingPathComponent(StateStore.fileName).path)
            }
            try AdminToken.requireAbsent(
                URL(fileURLWithPath: directory).appendingPathComponent(AdminToken.fileName).path)
        }
        let store = try StateStore(directory: directory, create: initialize)
        do {
            return (store, try AdminToken.bootstrap(store: store, directory: directory, at: time))
        } catch {
            try? store.close()
            throw error
        }
    }

    /// Refuses a directory that is not one or belongs to another user, and sets its mode to 0700.
    static func secure(_ directory: String, _ info: stat) throws(ControllerError) {
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw ControllerError(.conflict, "the state directory \(directory) is not a directory")
        }
        let me = geteuid()
        guard info.st_uid == me else {
            throw ControllerError(
                .forbidden,
                "the state directory \(directory) belongs to \(userName(info.st_uid)), not to \(userName(me)), "
                    + "whom the controller runs as; refusing to use it")
        }
        guard info.st_mode & 0o7777 == 0o700 || chmod(directory, 0o700) == 0 else {
            throw ControllerError(
                .internalError,
                "cannot make the state directory \(directory) private (chmod 0700): \(String(cString: strerror(errno)))"
            )
        }
    }

    /// "ana (uid 1000)", or "uid 1000" for a uid without an account.
    static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
        return "\(String(cString: name)) (uid \(uid))"
    }
}
