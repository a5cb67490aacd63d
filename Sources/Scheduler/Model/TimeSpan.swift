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

    /// The longest span text may give: 100 years. Longer text is refused rather than carried into the
    /// arithmetic of start times, deadlines and estimates, where it would overflow.
    public static let longestParsed: Int64 = 100 * 365 * 86_400

    /// Whether `text` is one of the forms above but longer than `longestParsed` (or too long to count), so
    /// an error can name the bound rather than the form.
    public static func isTooLong(_ text: String) -> Bool {
        guard TimeSpan(parsing: text) == nil else { return false }
        // The same text with every number cut to one digit parses when only the size was wrong.
        var shortened = ""
        var inNumber = false
        for ch in text {
            if ch.isASCII && ch.isNumber {
                if !inNumber { shortened.append("1") }
                inNumber = true
            } else {
                shortened.append(ch)
                inNumber = false
            }
        }
        return TimeSpan(parsing: shortened) != nil
    }

    /// Parses the forms above; nil when the text is none of them, negative, or longer than `longestParsed`.
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !t.isEmpty, !t.hasPrefix("-") else { return nil }
        /// Σ count × unit seconds, nil past `longestParsed` (checked at every step: the text is anyone's).
        func total(_ terms: [(Int64, Int64)]) -> Int64? {
            var sum: Int64 = 0
            for (count, unit) in terms {
                let (product, o1) = count.multipliedReportingOverflow(by: unit)
                let (next, o2) = sum.addingReportingOverflow(product)
                guard !o1, !o2, next <= Self.longestParsed else { return nil }
                sum = next
            }
            return sum
        }
        if let minutes = Int64(t) {
            guard let s = total([(minutes, 60)]) else { return nil }
            self.seconds = s
            return
        }
        if t.contains(":") || t.contains("-") {
            var days: Int64 = 0
            var clock = Substring(t)
            if let dash = t.firstIndex(of: "-") {
                guard let d = Int64(t[..<dash]), d >= 0 else { return nil }
                days = d
                clock = t[t.index(after: dash)...]
            }
            let parts = clock.split(separator: ":", omittingEmptySubsequences: false).map { Int64($0) }
            guard !parts.contains(where: { $0 == nil || $0! < 0 }) else { return nil }
            let p = parts.map { $0! }
            let terms: [(Int64, Int64)]
            switch (p.count, days > 0 || t.contains("-")) {
            case (1, true): terms = [(days, 86400), (p[0], 3600)]
            case (2, true): terms = [(days, 86400), (p[0], 3600), (p[1], 60)]
            case (2, false): terms = [(p[0], 60), (p[1], 1)]
            case (3, _): terms = [(days, 86400), (p[0], 3600), (p[1], 60), (p[2], 1)]
            default: return nil
            }
            guard let s = total(terms) else { return nil }
            self.seconds = s
            return
        }
        var terms: [(Int64, Int64)] = []
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
            terms.append((n, factor))
            number = ""
            sawUnit = true
        }
        guard sawUnit, number.isEmpty, let s = total(terms) else { return nil }
        self.seconds = s
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
