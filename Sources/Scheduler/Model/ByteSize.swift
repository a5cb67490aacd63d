import Foundation

/// An amount of memory or storage in bytes.
///
/// Text forms: decimal units `KB MB GB TB PB` (powers of 1000, as GPU and disk vendors count),
/// binary units `KiB MiB GiB TiB PiB` (powers of 1024), and Slurm's one-letter `K M G T P` which,
/// as in Slurm, are binary. A bare integer is a count of bytes.
public struct ByteSize: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The size in bytes.
    public var bytes: UInt64

    /// A size of `bytes` bytes.
    public init(bytes: UInt64) { self.bytes = bytes }

    public static let zero = ByteSize(bytes: 0)
    public static func gigabytes(_ n: Double) -> ByteSize { ByteSize(bytes: UInt64(n * 1e9)) }
    public static func terabytes(_ n: Double) -> ByteSize { ByteSize(bytes: UInt64(n * 1e12)) }
    public static func gibibytes(_ n: UInt64) -> ByteSize { ByteSize(bytes: n << 30) }
    public static func tebibytes(_ n: UInt64) -> ByteSize { ByteSize(bytes: n << 40) }

    public static func < (a: ByteSize, b: ByteSize) -> Bool { a.bytes < b.bytes }
    public static func + (a: ByteSize, b: ByteSize) -> ByteSize { ByteSize(bytes: a.bytes + b.bytes) }
    public static func - (a: ByteSize, b: ByteSize) -> ByteSize { ByteSize(bytes: a.bytes - b.bytes) }
    public static func * (a: ByteSize, n: Int) -> ByteSize { ByteSize(bytes: a.bytes * UInt64(n)) }
    public static func += (a: inout ByteSize, b: ByteSize) { a.bytes += b.bytes }
    public static func -= (a: inout ByteSize, b: ByteSize) { a.bytes -= b.bytes }

    private static let units: [(suffix: String, factor: Double)] = [
        ("PIB", 1_125_899_906_842_624), ("TIB", 1_099_511_627_776), ("GIB", 1_073_741_824),
        ("MIB", 1_048_576), ("KIB", 1024),
        ("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3),
        ("P", 1_125_899_906_842_624), ("T", 1_099_511_627_776), ("G", 1_073_741_824),
        ("M", 1_048_576), ("K", 1024), ("B", 1),
    ]

    /// Parses "141GB", "2 TB", "1.5TiB", "200G" or a bare byte count; nil when it is none of these.
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        guard !t.isEmpty, !t.hasPrefix("-") else { return nil }
        for (suffix, factor) in Self.units where t.hasSuffix(suffix) {
            let number = t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            guard let value = Double(number), value >= 0, value.isFinite,
                value * factor < Double(UInt64.max)
            else { return nil }
            self.bytes = UInt64((value * factor).rounded())
            return
        }
        guard let value = UInt64(t) else { return nil }
        self.bytes = value
    }

    /// Human form with at most one decimal: decimal units ("141 GB", "2 TB") unless the size is a
    /// round binary amount ("1 TiB", "240 GiB"), as sizes declared in binary units usually are.
    public var description: String {
        let b = Double(bytes)
        func render(_ units: [(String, Double)]) -> (String, exact: Bool)? {
            for (suffix, factor) in units where b >= factor {
                let v = b / factor
                let rounded = (v * 10).rounded() / 10
                let text = rounded == rounded.rounded() ? "\(Int(rounded)) \(suffix)" : "\(rounded) \(suffix)"
                return (text, abs(rounded - v) < 1e-9)
            }
            return nil
        }
        let decimal = render([("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)])
        if let decimal, decimal.exact { return decimal.0 }
        if let binary = render([
            ("PiB", 1_125_899_906_842_624), ("TiB", 1_099_511_627_776), ("GiB", 1_073_741_824), ("MiB", 1_048_576),
        ]),
            binary.exact
        {
            return binary.0
        }
        return decimal?.0 ?? "\(bytes) B"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(UInt64.self) {
            self.bytes = n
        } else {
            let s = try c.decode(String.self)
            guard let v = ByteSize(parsing: s) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a size: '\(s)'")
            }
            self = v
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(bytes)
    }
}
