import Glibc

/// Why discovery failed: the C call that failed and its errno, so the message names the real cause.
public struct DiscoveryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The failing call, e.g. "hwloc_topology_set_xml(/tmp/x.xml)".
    public var call: String
    /// errno right after the call (0 when the library did not set it).
    public var errno: Int32

    public static func hwlocCall(_ call: String, errno: Int32) -> DiscoveryError {
        DiscoveryError(call: call, errno: errno)
    }

    public var description: String {
        errno == 0 ? "\(call) failed" : "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
