import CAgentShims
import Foundation
import Glibc

/// A cgroup file operation that failed, with the path and errno in words.
public struct CgroupfsError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// Reads and writes of cgroup filesystem files, with errno kept: a cgroup write's error (EINVAL for a CPU
/// outside the parent's cpuset, EBUSY for a controller that cannot be enabled) is the explanation.
enum Cgroupfs {
    static func write(_ path: String, _ value: String) throws(CgroupfsError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open \(path)") }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw failure("write '\(value)' to \(path)") }
    }

    /// The file's text, trimmed; "" when it cannot be read.
    static func read(_ path: String) -> String {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// "key value" lines (memory.events, cpu.stat, memory.oom_control).
    static func keyed(_ path: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for line in read(path).split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let v = Int(parts[1]) { out[String(parts[0])] = v }
        }
        return out
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Creates a cgroup directory; returns whether it was made (false: it existed and `existingIsFine`).
    @discardableResult
    static func makeDirectory(_ path: String, existingIsFine: Bool = false) throws(CgroupfsError) -> Bool {
        if mkdir(path, 0o755) == 0 { return true }
        if errno == EEXIST, existingIsFine { return false }
        throw failure("mkdir \(path)")
    }

    static func attachDeviceFilter(_ dir: String, major: UInt32, minors: Range<UInt32>, allowed: [UInt32])
        throws(CgroupfsError)
    {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open \(dir)") }
        defer { close(fd) }
        let rc = allowed.withUnsafeBufferPointer { p in
            raspored_attach_device_filter(
                fd, major, minors.lowerBound, minors.upperBound, p.baseAddress, Int32(p.count))
        }
        guard rc == 0 else { throw failure("attach the device program (BPF_CGROUP_DEVICE) to \(dir)") }
    }

    private static func failure(_ what: String) -> CgroupfsError {
        let e = errno
        return CgroupfsError(description: "\(what): \(String(cString: strerror(e))) (errno \(e))")
    }
}
