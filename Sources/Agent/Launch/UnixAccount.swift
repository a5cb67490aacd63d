import Glibc

/// A job's Unix identity on this node: the account its controller user names, resolved through NSS
/// (`getpwnam_r`, so LDAP and SSSD accounts resolve as local ones do) with its primary group and every
/// group it belongs to (`getgrouplist`).
public struct UnixAccount: Sendable, Hashable {
    public var name: String
    public var uid: UInt32
    public var gid: UInt32
    /// Supplementary groups, the primary group among them.
    public var groups: [UInt32]
    public var home: String
    public var shell: String

    public init(name: String, uid: UInt32, gid: UInt32, groups: [UInt32], home: String, shell: String) {
        self.name = name
        self.uid = uid
        self.gid = gid
        self.groups = groups
        self.home = home
        self.shell = shell
    }

    /// The account called `name`; nil when this node has none. Throws only when the lookup itself fails
    /// (NSS unreachable, say), which is not the same as "no such user".
    public static func lookup(_ name: String) throws(LaunchError) -> UnixAccount? {
        guard !name.isEmpty, !name.utf8.contains(0) else { return nil }
        var pw = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var size = max(Int(sysconf(Int32(_SC_GETPW_R_SIZE_MAX))), 4096)
        while true {
            var buffer = [CChar](repeating: 0, count: size)
            let rc = getpwnam_r(name, &pw, &buffer, size, &result)
            if rc == ERANGE, size < 1 << 20 {
                size *= 4
                continue
            }
            // ENOENT, ESRCH, EBADF and EPERM are how some NSS modules say "not found".
            if rc != 0 && ![ENOENT, ESRCH, EBADF, EPERM].contains(rc) {
                throw LaunchError("cannot look up user \(name): \(String(cString: strerror(rc))) (errno \(rc))")
            }
            guard result != nil else { return nil }
            let uid = pw.pw_uid, gid = pw.pw_gid
            let home = pw.pw_dir.map { String(cString: $0) } ?? "/"
            let shell = pw.pw_shell.map { String(cString: $0) } ?? "/bin/sh"
            return UnixAccount(
                name: name, uid: uid, gid: gid, groups: try groupList(name, gid), home: home.isEmpty ? "/" : home,
                shell: shell.isEmpty ? "/bin/sh" : shell)
        }
    }

    /// The user's groups (`getgrouplist`, which includes `gid`).
    static func groupList(_ name: String, _ gid: UInt32) throws(LaunchError) -> [UInt32] {
        var count: Int32 = 64
        while count <= 65_536 {
            var groups = [gid_t](repeating: 0, count: Int(count))
            var n = count
            if getgrouplist(name, gid, &groups, &n) >= 0 {
                return Array(groups.prefix(Int(n)))
            }
            count = max(n, count * 2)
        }
        throw LaunchError("user \(name) belongs to more groups than the agent can set")
    }
}
