/// One way a discovered node differs from what cluster.yaml declares for it.
public struct NodeDifference: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How much the difference matters.
    public enum Severity: String, Sendable, Hashable, Codable {
        /// Schedulable hardware differs: the controller must not schedule onto the node.
        case mismatch
        /// Worth a look, but placement does not depend on it (e.g. a storage port's link layer).
        case warning
    }

    public var severity: Severity
    /// What differs: "GPUs", "NUMA 1", "GPU 3 (0000:5d:00.0)", "NIC mlx5_1".
    public var subject: String
    /// The difference itself: "0 found, 8 declared".
    public var message: String
    /// The likely cause or the next thing to look at.
    public var hint: String?

    public init(_ severity: Severity, _ subject: String, _ message: String, hint: String? = nil) {
        self.severity = severity
        self.subject = subject
        self.message = message
        self.hint = hint
    }

    public var description: String {
        let head = "\(subject): \(message)"
        let text = hint.map { "\(head) — \($0)" } ?? head
        return severity == .warning ? "warning: \(text)" : text
    }
}

/// How far discovered memory may be from the declared amount and still match.
public struct MemoryTolerance: Sendable, Hashable {
    /// NUMA memory may be this fraction below the declared size: firmware and the kernel reserve some
    /// (ipa20's NUMA 0 shows 0.17 % less than its siblings; 3 % covers BIOS/ACPI reservations on large
    /// nodes). It may be at most 1 % above.
    public var numaBelow: Double = 0.03
    public var numaAbove: Double = 0.01
    /// GPU memory may differ by this fraction either way: vendors quote "GB" loosely (an H200 sold as
    /// 141 GB reports 143 771 MiB = 150.8 GB to CUDA; an H100 "80 GB" reports 81 559 MiB).
    public var gpu: Double = 0.08

    public init() {}
    public static let standard = MemoryTolerance()
}
