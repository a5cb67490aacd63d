import Foundation
import Glibc

/// Real Unix accounts for tests of job identity, made with `useradd` and removed with `userdel` (CI runs
/// as root). Names are `rspt` and six random letters, with the GECOS field "raspored test user PID"; accounts
/// that a test process no longer alive left behind (it was killed) are removed before new ones are made.
public final class TestUsers: @unchecked Sendable {
    public static let gecos = "raspored test user"
    public private(set) var names: [String] = []
    public private(set) var groups: [String] = []

    /// Whether this process may make accounts (root, with useradd present).
    public static var available: Bool {
        geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/useradd")
    }

    public init() throws {
        guard Self.available else { throw TestUserError("making Unix accounts needs root and useradd") }
        Self.removeLeftovers()
    }

    /// A new account (with a group of its own name), and its uid and gid; `groups` are extra groups.
    public func make(groups extra: [String] = []) throws -> (name: String, uid: UInt32, gid: UInt32) {
        let name = "rspt" + String((0..<6).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement()! })
        var args = ["-M", "-U", "-c", "\(Self.gecos) \(getpid())", "-s", "/bin/sh", "-d", "/nonexistent"]
        if !extra.isEmpty { args += ["-G", extra.joined(separator: ",")] }
        try Self.run("/usr/sbin/useradd", args + [name])
        names.append(name)
        guard let pw = getpwnam(name) else {
            throw TestUserError("useradd made \(name), but getpwnam does not find it")
        }
        return (name, pw.pointee.pw_uid, pw.pointee.pw_gid)
    }

    /// A new group, and its gid.
    public func makeGroup() throws -> (name: String, gid: UInt32) {
        let name = "rsptg\(getpid())x" + String((0..<5).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement()! })
        try Self.run("/usr/sbin/groupadd", [name])
        groups.append(name)
        guard let gr = getgrnam(name) else {
            throw TestUserError("groupadd made \(name), but getgrnam does not find it")
        }
        return (name, gr.pointee.gr_gid)
    }

    /// Removes every account and group made here.
    public func removeAll() {
        for name in names { try? Self.run("/usr/sbin/userdel", [name]) }
        for name in groups { try? Self.run("/usr/sbin/groupdel", [name]) }
        names = []
        groups = []
    }

    deinit { removeAll() }

    public static func removeLeftovers() {
        guard let passwd = try? String(contentsOfFile: "/etc/passwd", encoding: .utf8) else { return }
        for line in passwd.split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count > 4, f[0].hasPrefix("rspt"), f[4].hasPrefix(gecos + " "),
                let pid = Int32(f[4].dropFirst(gecos.count + 1)), kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            try? run("/usr/sbin/userdel", [String(f[0])])
        }
        guard let group = try? String(contentsOfFile: "/etc/group", encoding: .utf8) else { return }
        // A group's name carries the pid of the process that made it.
        for line in group.split(separator: "\n") where line.hasPrefix("rsptg") {
            let name = line.prefix { $0 != ":" }
            guard let pid = Int32(name.dropFirst(5).prefix { $0 != "x" }), kill(pid, 0) != 0, errno == ESRCH else {
                continue
            }
            try? run("/usr/sbin/groupdel", [String(name)])
        }
    }

    /// Runs a shadow tool; tries again a few times, since two test processes may hold /etc/passwd's lock.
    static func run(_ tool: String, _ args: [String]) throws {
        var failure = ""
        for attempt in 0..<5 {
            if attempt > 0 { usleep(200_000) }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: tool)
            p.arguments = args
            p.standardOutput = FileHandle.nullDevice
            let err = Pipe()
            p.standardError = err
            try p.run()
            p.waitUntilExit()
            if p.terminationStatus == 0 { return }
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            failure = "\(tool) \(args.joined(separator: " ")): exit \(p.terminationStatus): \(text)"
        }
        throw TestUserError(failure)
    }
}

public struct TestUserError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}
