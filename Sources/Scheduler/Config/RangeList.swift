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

    /// "0-3,8" → [0, 1, 2, 3, 8]; nil when malformed or a range runs backwards.
    public static func expandIntegers(_ text: String) -> [Int]? {
        var out: [Int] = []
        for part in text.split(separator: ",") {
            let p = part.trimmingCharacters(in: .whitespaces)
            let bounds = p.split(separator: "-", omittingEmptySubsequences: false)
            switch bounds.count {
            case 1:
                guard let v = Int(bounds[0]) else { return nil }
                out.append(v)
            case 2:
                guard let a = Int(bounds[0]), let b = Int(bounds[1]), a <= b else { return nil }
                out.append(contentsOf: a...b)
            default: return nil
            }
        }
        return out.isEmpty ? nil : out
    }

    /// "dgx[01-03,07]" → ["dgx01", "dgx02", "dgx03", "dgx07"], keeping zero padding; a name
    /// without brackets is itself. Comma-separated host lists outside brackets are joined.
    public static func expandHosts(_ text: String) -> [String]? {
        var out: [String] = []
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
        for raw in pieces {
            let piece = raw.trimmingCharacters(in: .whitespaces)
            guard let open = piece.firstIndex(of: "[") else {
                guard !piece.isEmpty, !piece.contains("]") else { return nil }
                out.append(piece)
                continue
            }
            guard let close = piece.firstIndex(of: "]"), close > open else { return nil }
            let prefix = String(piece[..<open])
            let suffix = String(piece[piece.index(after: close)...])
            guard !suffix.contains("["), !prefix.isEmpty else { return nil }
            for range in piece[piece.index(after: open)..<close].split(separator: ",") {
                let bounds = range.split(separator: "-", omittingEmptySubsequences: false)
                guard let first = bounds.first, let a = Int(first), bounds.count <= 2 else { return nil }
                let b = bounds.count == 2 ? Int(bounds[1]) : a
                guard let b, a <= b else { return nil }
                let width = first.count
                for v in a...b {
                    let digits = String(v)
                    out.append(prefix + String(repeating: "0", count: max(0, width - digits.count)) + digits + suffix)
                }
            }
        }
        return out
    }
}
