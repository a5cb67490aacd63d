import Foundation

/// Expands the compact lists people write: "0-3,8" and host lists such as "dgx[01-06]", and writes them.
public enum RangeList {
    /// [0, 1, 2, 3, 8] → "0-3,8", the inverse of `expandIntegers`: sorted and de-duplicated first, runs of
    /// consecutive values as "a-b"; "" for no values (callers choose their own placeholder).
    public static func compact(_ values: [Int]) -> String {
        var parts: [String] = []
        let sorted = Array(Set(values)).sorted()
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count, sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// "0-3,8" → [0, 1, 2, 3, 8]; nil when malformed, when a range runs backwards, or when it holds more
    /// than `limit` values (counted before any is made).
    public static func expandIntegers(_ text: String, limit: Int = 1 << 20) -> [Int]? {
        guard let pieces = try? ranges(text), !pieces.isEmpty else { return nil }
        var total = 0
        for p in pieces {
            total += p.count
            if total > limit { return nil }
        }
        return pieces.flatMap(\.values)
    }

    /// "0-3,8" → the pieces `0-3` and `8`, in the order written; with `steps`, a range may also take a
    /// step, as Slurm's `--array` does: "0-15:4" is 0, 4, 8, 12. No values for an empty text; an error naming
    /// the piece for anything else that is not a list (a range that runs backwards, a step below 1).
    public static func ranges(_ text: String, steps: Bool = false) throws(RangeListError) -> [IntegerRange] {
        var out: [IntegerRange] = []
        for part in text.split(separator: ",") {
            let p = part.trimmingCharacters(in: .whitespaces)
            var body = Substring(p)
            var step = 1
            if let colon = p.firstIndex(of: ":") {
                guard steps else { throw RangeListError("'\(p)': a step (':') is not allowed here") }
                let stepText = p[p.index(after: colon)...]
                guard let s = Int(stepText) else {
                    throw RangeListError("'\(p)': the step '\(stepText)' is not a number")
                }
                guard s >= 1 else { throw RangeListError("'\(p)': the step must be at least 1, not \(s)") }
                step = s
                body = p[..<colon]
            }
            let bounds = body.split(separator: "-", omittingEmptySubsequences: false)
            switch bounds.count {
            case 1:
                guard let v = Int(bounds[0]) else { throw RangeListError("'\(p)' is not a number or a range a-b") }
                guard body.count == p.count else { throw RangeListError("'\(p)': a step needs a range (a-b:step)") }
                out.append(IntegerRange(first: v, last: v))
            case 2:
                guard let a = Int(bounds[0]), let b = Int(bounds[1]) else {
                    throw RangeListError("'\(p)' is not a range a-b of numbers (from 0)")
                }
                guard a <= b else { throw RangeListError("'\(p)' runs backwards") }
                out.append(IntegerRange(first: a, last: b, step: step))
            default:
                throw RangeListError("'\(p)' is not a number or a range a-b")
            }
        }
        return out
    }

    /// "dgx[01-03,07]" → ["dgx01", "dgx02", "dgx03", "dgx07"], keeping zero padding; a name
    /// without brackets is itself. Comma-separated host lists outside brackets are joined. Nil when
    /// malformed, or when it would name more than `limit` hosts (counted before any is made, so
    /// `dgx[1-999999999]` costs nothing).
    public static func expandHosts(_ text: String, limit: Int = 65_536) -> [String]? {
        var depth = 0
        var current = ""
        var pieces: [String] = []
        for ch in text {
            if ch == "[" { depth += 1 }
            if ch == "]" { depth -= 1 }
            if ch == "," && depth == 0 {
                pieces.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        pieces.append(current)
        // Each piece as a prefix, its ranges (first, last, width) and a suffix; then the count, then the names.
        var parsed: [(prefix: String, ranges: [(Int, Int, Int)]?, suffix: String)] = []
        var total = 0
        for raw in pieces {
            let piece = raw.trimmingCharacters(in: .whitespaces)
            guard let open = piece.firstIndex(of: "[") else {
                guard !piece.isEmpty, !piece.contains("]") else { return nil }
                parsed.append((piece, nil, ""))
                total += 1
                if total > limit { return nil }
                continue
            }
            guard let close = piece.firstIndex(of: "]"), close > open else { return nil }
            let prefix = String(piece[..<open])
            let suffix = String(piece[piece.index(after: close)...])
            guard !suffix.contains("["), !prefix.isEmpty else { return nil }
            var ranges: [(Int, Int, Int)] = []
            for range in piece[piece.index(after: open)..<close].split(separator: ",") {
                let bounds = range.split(separator: "-", omittingEmptySubsequences: false)
                guard let first = bounds.first, let a = Int(first), a >= 0, bounds.count <= 2 else { return nil }
                let b = bounds.count == 2 ? Int(bounds[1]) : a
                guard let b, a <= b, first.count <= 18 else { return nil }
                let (span, overflow) = b.subtractingReportingOverflow(a)
                guard !overflow, span < limit else { return nil }
                total += span + 1
                if total > limit { return nil }
                ranges.append((a, b, first.count))
            }
            parsed.append((prefix, ranges, suffix))
        }
        var out: [String] = []
        out.reserveCapacity(total)
        for (prefix, ranges, suffix) in parsed {
            guard let ranges else {
                out.append(prefix)
                continue
            }
            for (a, b, width) in ranges {
                for v in a...b {
                    let digits = String(v)
                    out.append(prefix + String(repeating: "0", count: max(0, width - digits.count)) + digits + suffix)
                }
            }
        }
        return out
    }
}

/// One piece of a range list: `first`, `first-last`, or (`RangeList.ranges(_:steps:)`) `first-last:step`.
public struct IntegerRange: Hashable, Sendable {
    public var first: Int
    public var last: Int
    /// At least 1.
    public var step: Int

    public init(first: Int, last: Int, step: Int = 1) {
        self.first = first
        self.last = last
        self.step = step
    }

    /// How many values it holds, without listing them; `Int.max` when more (a range over every Int).
    public var count: Int {
        guard last >= first else { return 0 }
        // The distance always fits a UInt, even from Int.min to Int.max.
        let steps = UInt(bitPattern: last &- first) / UInt(step)
        return steps >= UInt(Int.max) ? Int.max : Int(steps) + 1
    }

    /// Its values in ascending order.
    public var values: StrideThrough<Int> { stride(from: first, through: last, by: step) }
}

/// Why a text is not a range list, naming the piece ("'5-3' runs backwards").
public struct RangeListError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
