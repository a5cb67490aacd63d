#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's limit on open files. Each connection is one: under the common default of 1,024 a
/// thousand idle clients would leave the controller unable to accept its agents or open its database.
public enum DescriptorLimit {
    /// Raises the soft limit to the hard one and returns the limit now in force.
    @discardableResult
    public static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// Connections a listener may hold given `descriptors`, leaving room for the database, output files and
    /// the other listener: at least 64, at most 16,384.
    public static func connections(for descriptors: Int) -> Int {
        max(64, min(16_384, (descriptors - 256) / 2))
    }
}
