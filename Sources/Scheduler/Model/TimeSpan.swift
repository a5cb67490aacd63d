import Foundation

/// A length of time in whole seconds: time limits, durations, ages.
///
/// Text forms: "90s", "30m", "4h", "7d", combinations such as "1d12h", Slurm's "D-HH:MM:SS",
/// "HH:MM:SS", "MM:SS", and a bare number of minutes (as Slurm reads `--time=30`).
public struct TimeSpan: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The length in seconds.
    public var seconds: Int64

    public init(seconds: Int64) { self.seconds = seconds }
    public static func minutes(_ m: Int64) -> TimeSpan { TimeSpan(seconds: m * 60) }
    public static func hours(_ h: Int64) -> TimeSpan { TimeSpan(seconds: h * 3600) }
    public static func days(_ d: Int64) -> TimeSpan { TimeSpan(seconds: d * 86400) }
    public static func < (a: TimeSpan, b: TimeSpan) -> Bool { a.seconds < b.seconds }

    /// Parses the forms above; nil when the text is none of them or negative.
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !t.isEmpty, !t.hasPrefix("-") else { return nil }
        if let minutes = Int64(t) {
            self.seconds = minutes * 60
            return
        }
        if t.contains(":") || t.contains("-") {
            var days: Int64 = 0
            var clock = Substring(t)
            if let dash = t.firstIndex(of: "-") {
                guard let d = Int64(t[..<dash]) else { return nil }
                days = d
                clock = t[t.index(after: dash)...]
            }
            let parts = clock.split(separator: ":", omittingEmptySubsequences: false).map { Int64($0) }
            guard !parts.contains(where: { $0 == nil || $0! < 0 }) else { return nil }
            let p = parts.map { $0! }
            switch (p.count, days > 0 || t.contains("-")) {
            case (1, true): self.seconds = days * 86400 + p[0] * 3600
            case (2, true): self.seconds = days * 86400 + p[0] * 3600 + p[1] * 60
            case (2, false): self.seconds = p[0] * 60 + p[1]
            case (3, _): self.seconds = days * 86400 + p[0] * 3600 + p[1] * 60 + p[2]
            default: return nil
            }
            return
        }
        var total: Int64 = 0
        var number = ""
        var sawUnit = false
        for ch in t {
            if ch.isNumber {
                number.append(ch)
                continue
            }
            let factor: Int64
            switch ch {
            case "s": factor = 1
            case "m": factor = 60
            case "h": factor = 3600
            case "d": factor = 86400
            case "w": factor = 604_800
            default: return nil
            }
            guard let n = Int64(number) else { return nil }
            total += n * factor
            number = ""
            sawUnit = true
        }
        guard sawUnit, number.isEmpty else { return nil }
        self.seconds = total
    }

    /// Compact human form: "7d", "4h", "1d12h", "30m", "45s".
    public var description: String {
        if seconds == 0 { return "0s" }
        var rest = seconds
        var out = ""
        for (unit, size) in [("d", Int64(86400)), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        return out
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int64.self) {
            self.seconds = n
        } else {
            let s = try c.decode(String.self)
            guard let v = TimeSpan(parsing: s) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a time span: '\(s)'")
            }
            self = v
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(seconds)
    }
}
