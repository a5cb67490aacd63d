import Foundation

/// The first admin token, created when the store has none and written to a file only its owner can read.
public enum AdminToken {
    /// The file's name inside the state directory.
    public static let fileName = "admin.token"

    /// Creates an admin token when the store holds no token at all, writes its secret (and a newline) to
    /// `directory/admin.token` with mode 0600, and returns the file's path; nil when tokens already exist.
    ///
    /// The file is never replaced: when it exists and the store holds no token, it names a secret this
    /// database does not know (a state database replaced or restored behind it), and whoever runs the
    /// controller must look before it is removed; that is refused with a sentence saying so.
    public static func bootstrap(store: StateStore, directory: String, at time: Int64) throws -> String? {
        guard try store.tokenCount() == 0 else { return nil }
        let path = URL(fileURLWithPath: directory).appendingPathComponent(fileName).path
        try requireAbsent(path)
        // Created with 0600 from the start (O_EXCL), so the secret is never readable by others, even briefly.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw ControllerError(
                .internalError, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let (_, secret) = try store.createToken(user: "admin", role: .admin, at: time)
        let bytes = Array((secret + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw ControllerError(.internalError, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return path
    }

    /// Refuses when `path` exists (as anything: a file, a link, a directory).
    static func requireAbsent(_ path: String) throws(ControllerError) {
        var info = stat()
        guard lstat(path, &info) != 0 else {
            throw ControllerError(
                .conflict,
                "\(path) exists, but the state database holds no token: the file names a secret this database "
                    + "does not know. It is never overwritten; move it away (after checking why it is there) "
                    + "and start again to create a new admin token")
        }
    }
}
