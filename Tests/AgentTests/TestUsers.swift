import Foundation
import Glibc

/// Real Unix accounts for tests of job identity, made with `useradd` and removed with `userdel` (CI runs
/// as root). Names are `rspt` and six random letters, with the GECOS field "raspored test user"; accounts of
/// that description left by a test run that was killed are removed before new ones are made.
final class TestUsers: @unchecked Sendable {
    static let gecos = "raspored test user"
    private(set) var names: [String] = []
    private(set) var groups: [String] = []

    /// Whether this process may make accounts (root, with useradd present).
    static var available: Bool { geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/useradd") }

    init() throws {
        guard Self.available else { throw TestUserError("making Unix accounts needs root and useradd") }
        Self.removeLeftovers()
    }

    /// A new account (with a group of its own name), and its uid and gid; `groups` are extra groups.
    func make(groups extra: [String] = []) throws -> (name: String, uid: UInt32, gid: UInt32) {
        let name = "rspt" + String((0..<6).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement()! })
        var args = ["-M", "-U", "-c", Self.gecos, "-s", "/bin/sh", "-d", "/nonexistent"]
        if !extra.isEmpty { args += ["-G", extra.joined(separator: ",")] }
        try Self.run("/usr/sbin/useradd", args + [name])
        names.append(name)
        guard let pw = getpwnam(name) else { throw TestUserError("useradd made \(name), but getpwnam does not find it") }
        return (name, pw.pointee.pw_uid, pw.pointee.pw_gid)
    }

    /// A new group, and its gid.
    func makeGroup() throws -> (name: String, gid: UInt32) {
        let name = "rsptg" + String((0..<5).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement()! })
        try Self.run("/usr/sbin/groupadd", [name])
        groups.append(name)
        guard let gr = getgrnam(name) else { throw TestUserError("groupadd made \(name), but getgrnam does not find it") }
        return (name, gr.pointee.gr_gid)
    }

    /// Removes every account and group made here.
    func removeAll() {
        for name in names { try? Self.run("/usr/sbin/userdel", [name]) }
        for name in groups { try? Self.run("/usr/sbin/groupdel", [name]) }
        names = []
        groups = []
    }

    deinit { removeAll() }

    static func removeLeftovers() {
        guard let passwd = try? String(contentsOfFile: "/etc/passwd", encoding: .utf8) else { return }
        for line in passwd.split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            if f.count > 4, f[0].hasPrefix("rspt"), f[4] == gecos { try? run("/usr/sbin/userdel", [String(f[0])]) }
        }
        guard let group = try? String(contentsOfFile: "/etc/group", encoding: .utf8) else { return }
        for line in group.split(separator: "\n") where line.hasPrefix("rsptg") {
            try? run("/usr/sbin/groupdel", [String(line.split(separator: ":")[0])])
        }
    }

    static func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw TestUserError("\(tool) \(args.joined(separator: " ")): exit \(p.terminationStatus): \(text)")
        }
    }
}

struct TestUserError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
