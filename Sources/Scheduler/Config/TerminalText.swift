/// Text from outside on its way to a terminal or a table: control characters (which could move the cursor,
/// recolour the screen or forge a row) and bidirectional overrides (which reorder what is shown) are never
/// written raw.
public enum TerminalText {
    /// Whether `scalar` must not reach a terminal raw: C0 and C1 controls, DEL, line and paragraph
    /// separators, and the bidirectional marks, embeddings, overrides and isolates.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// `text` with every unsafe character written as an escape (`\n`, `\t`, `\r`, `\u{1B}`); `text` itself
    /// when it has none.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for s in text.unicodeScalars {
            switch s {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where isUnsafe(s): out += "\\u{\(String(s.value, radix: 16, uppercase: true))}"
            default: out.unicodeScalars.append(s)
            }
        }
        return out
    }

    /// Why `text` cannot name something (a job, a user, an account, a reason): it holds an unsafe character,
    /// or is longer than `maxLength` characters; nil when it can.
    public static func labelProblem(_ text: String, maxLength: Int) -> String? {
        if let (offset, s) = text.unicodeScalars.enumerated().first(where: { isUnsafe($0.element) }) {
            return "must not contain control or text-direction characters "
                + "(\(escaped(String(s))) at position \(offset + 1))"
        }
        if text.count > maxLength { return "must be at most \(maxLength) characters, not \(text.count)" }
        return nil
    }

    /// Why `text` cannot be an argument, a path or a value handed to the operating system: it holds a NUL,
    /// which ends a C string; nil when it can.
    public static func nulProblem(_ text: String) -> String? {
        text.utf8.contains(0) ? "must not contain a NUL character (\\u{0})" : nil
    }
}
