/// A strict JSON reader (RFC 8259) for request bodies: what a client sends is read exactly, or refused with
/// the line and column of the first fault.
///
/// Strict where a YAML reader is lenient: a bare word is no string (`[sleep, x]` is an error, and `null`
/// stays null), a key may appear once, text must be valid UTF-8, control characters inside strings must be
/// escaped, and `\u` escapes are full Unicode (a surrogate pair is one character, a lone half is refused).
/// Nesting is bounded (`maxDepth`), so no body can exhaust the stack.
enum StrictJSON {
    /// Deepest nesting of arrays and objects accepted; request bodies need 3.
    static let maxDepth = 32

    /// The value of `bytes`, which must be one JSON value and nothing but whitespace around it.
    static func parse(_ bytes: [UInt8]) throws(ConfigError) -> ConfigValue {
        var reader = Reader(bytes: bytes)
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        if reader.index < bytes.count { throw reader.fault("unexpected text after the JSON value") }
        return value
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        var lineStart = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        func fault(_ message: String) -> ConfigError {
            ConfigError(
                file: nil, line: line, path: "",
                message: "malformed JSON at column \(index - lineStart + 1): \(message)")
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0D: index += 1
                case 0x0A:
                    index += 1
                    line += 1
                    lineStart = index
                default: return
                }
            }
        }

        mutating func value(depth: Int) throws(ConfigError) -> ConfigValue {
            guard index < bytes.count else { throw fault("the text ends where a value should be") }
            let at = line
            switch bytes[index] {
            case UInt8(ascii: "{"):
                guard depth < StrictJSON.maxDepth else {
                    throw fault("nested deeper than \(StrictJSON.maxDepth) levels")
                }
                return try object(depth: depth + 1)
            case UInt8(ascii: "["):
                guard depth < StrictJSON.maxDepth else {
                    throw fault("nested deeper than \(StrictJSON.maxDepth) levels")
                }
                return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return ConfigValue(.scalar(try string(), .text), line: at)
            case UInt8(ascii: "t"): try literal("true"); return ConfigValue(.scalar("true", .bool), line: at)
            case UInt8(ascii: "f"): try literal("false"); return ConfigValue(.scalar("false", .bool), line: at)
            case UInt8(ascii: "n"): try literal("null"); return ConfigValue(.scalar("null", .null), line: at)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return ConfigValue(.scalar(try number(), .number), line: at)
            default:
                throw fault("expected a value (an object, list, string, number, true, false or null)")
            }
        }

        mutating func literal(_ word: StaticString) throws(ConfigError) {
            let expected = word.withUTF8Buffer { Array($0) }
            guard index + expected.count <= bytes.count, Array(bytes[index..<(index + expected.count)]) == expected
            else {
                throw fault("expected a value (an object, list, string, number, true, false or null)")
            }
            index += expected.count
        }

        mutating func object(depth: Int) throws(ConfigError) -> ConfigValue {
            let at = line
            index += 1
            var entries: [ConfigValue.Entry] = []
            var seen: Set<String> = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return ConfigValue(.mapping(entries), line: at)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    throw fault("expected a field name in double quotes")
                }
                let (keyLine, keyStart) = (line, index)
                let key = try string()
                guard seen.insert(key).inserted else {
                    index = keyStart
                    throw fault("the field '\(TerminalText.escaped(key))' is given twice")
                }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                    throw fault("expected ':' after the field name '\(key)'")
                }
                index += 1
                skipWhitespace()
                entries.append(.init(key: key, keyLine: keyLine, value: try value(depth: depth)))
                skipWhitespace()
                guard index < bytes.count else { throw fault("the text ends inside an object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "}") else { throw fault("expected ',' or '}' in an object") }
                index += 1
                return ConfigValue(.mapping(entries), line: at)
            }
        }

        mutating func array(depth: Int) throws(ConfigError) -> ConfigValue {
            let at = line
            index += 1
            var elements: [ConfigValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return ConfigValue(.sequence(elements), line: at)
            }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth))
                skipWhitespace()
                guard index < bytes.count else { throw fault("the text ends inside a list") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "]") else { throw fault("expected ',' or ']' in a list") }
                index += 1
                return ConfigValue(.sequence(elements), line: at)
            }
        }

        /// A string from its opening quote: escapes decoded, the bytes between them valid UTF-8.
        mutating func string() throws(ConfigError) -> String {
            let start = index
            index += 1
            var out: [UInt8] = []
            while true {
                guard index < bytes.count else { throw fault("the text ends inside a string") }
                let b = bytes[index]
                switch b {
                case UInt8(ascii: "\""):
                    index += 1
                    guard let text = String(validating: out, as: UTF8.self) else {
                        index = start
                        throw fault("the string here is not valid UTF-8")
                    }
                    return text
                case UInt8(ascii: "\\"):
                    index += 1
                    guard index < bytes.count else { throw fault("the text ends inside a string") }
                    let e = bytes[index]
                    index += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"): out.append(contentsOf: try unicodeEscape())
                    default:
                        index -= 1
                        throw fault("'\\\(TerminalText.escaped(String(Unicode.Scalar(e))))' is not a JSON escape")
                    }
                case 0x00..<0x20:
                    throw fault("a control character inside a string must be escaped (\\n, \\t, \\u0000)")
                default:
                    out.append(b)
                    index += 1
                }
            }
        }

        /// After `\u`: four hex digits, or two escapes making a surrogate pair; the character's UTF-8.
        mutating func unicodeEscape() throws(ConfigError) -> [UInt8] {
            let first = try hex4()
            var scalarValue = first
            if (0xD800..<0xDC00).contains(first) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { throw fault("a high surrogate (\\u\(hexText(first))) must be followed by a low one") }
                index += 2
                let second = try hex4()
                guard (0xDC00..<0xE000).contains(second) else {
                    throw fault("\\u\(hexText(first)) is not followed by a low surrogate")
                }
                scalarValue = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            } else if (0xDC00..<0xE000).contains(first) {
                throw fault("a lone low surrogate (\\u\(hexText(first)))")
            }
            guard let scalar = Unicode.Scalar(scalarValue) else { throw fault("not a Unicode character") }
            return Array(String(Character(scalar)).utf8)
        }

        mutating func hex4() throws(ConfigError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw fault("\\u needs four hex digits") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[index]
                let digit: UInt32
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
                default: throw fault("\\u needs four hex digits")
                }
                v = v << 4 | digit
                index += 1
            }
            return v
        }

        func hexText(_ v: UInt32) -> String {
            let digits = String(v, radix: 16, uppercase: false)
            return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        }

        /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`, as written.
        mutating func number() throws(ConfigError) -> String {
            let start = index
            func digits(_ r: inout Reader) -> Int {
                let s = r.index
                while r.index < r.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(r.bytes[r.index]) {
                    r.index += 1
                }
                return r.index - s
            }
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else {
                throw fault("a number needs a digit")
            }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                    throw fault("a number must not have leading zeros")
                }
            } else {
                _ = digits(&self)
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits(&self) > 0 else { throw fault("a decimal point needs digits after it") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    index += 1
                }
                guard digits(&self) > 0 else { throw fault("an exponent needs digits") }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
    }
}
