import Foundation
import Yams

/// A YAML or JSON value that knows its file, line and path, so every error can say where it is.
///
/// The only way the engine reads YAML and request bodies: YAML's parsing is Yams's, JSON's `StrictJSON`'s;
/// this type adds locations and typed accessors that throw `ConfigError`. A node read from JSON is strict:
/// each accessor takes only its own JSON type (text in quotes for `string()`, a bare number for `int()`,
/// `true`/`false` for `bool()`); YAML's plain scalars stay text that each accessor reads as it needs.
public struct ConfigNode: Sendable {
    let value: ConfigValue
    /// Path from the document root, e.g. "nodes[3].type".
    public let path: String
    /// The file name used in error messages.
    public let file: String?
    /// Read from JSON: types are exact.
    let strict: Bool

    /// Parses `text` (YAML 1.1, which includes JSON) into its root node.
    public static func parse(_ text: String, file: String?) throws(ConfigError) -> ConfigNode {
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.describe(error, file: file)
        } catch {
            throw ConfigError(file: file, line: nil, path: "", message: "\(error)")
        }
        guard let root else { throw ConfigError(file: file, line: nil, path: "", message: "the file is empty") }
        return ConfigNode(value: try ConfigValue(yaml: root, file: file), path: "", file: file, strict: false)
    }

    private static func describe(_ error: YamlError, file: String?) -> ConfigError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
            let .composer(context, problem, mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            return ConfigError(file: file, line: mark.line, path: "", message: "malformed YAML: \(what)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return ConfigError(
                file: file, line: context.mark.line, path: "",
                message: "duplicate key(s) \(duplicates.joined(separator: ", "))")
        default:
            return ConfigError(file: file, line: nil, path: "", message: "malformed YAML: \(error)")
        }
    }

    /// 1-based line of this node.
    public var line: Int? { value.line }

    /// The text of the configuration file at `path`; a missing file, a directory or unreadable text is an
    /// error naming the file.
    public static func readFile(_ path: String) throws(ConfigError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError(
                file: path, line: nil, path: "", message: "cannot read the file (No such file or directory)")
        }
        if isDirectory.boolValue {
            throw ConfigError(file: path, line: nil, path: "", message: "cannot read the file (it is a directory)")
        }
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(
                file: path, line: nil, path: "", message: "cannot read the file (permission denied, or not UTF-8 text)")
        }
    }

    /// Parses an HTTP request body that must be one JSON object, strictly (`StrictJSON`): an empty body,
    /// malformed JSON and anything but an object are errors with line and field. The node is strict.
    public static func parseJSONObject(_ text: String) throws(ConfigError) -> ConfigNode {
        try parseJSONObject(Array(text.utf8))
    }

    /// As `parseJSONObject(_:)` for the body's bytes, which must be valid UTF-8.
    public static func parseJSONObject(_ bytes: [UInt8]) throws(ConfigError) -> ConfigNode {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            throw ConfigError(
                file: nil, line: nil, path: "", message: "the request body is empty; expected a JSON object")
        }
        let root = ConfigNode(value: try StrictJSON.parse(bytes), path: "", file: nil, strict: true)
        guard root.isMapping else { throw root.error("expected a JSON object") }
        return root
    }

    public func error(_ message: String) -> ConfigError {
        ConfigError(file: file, line: line, path: path, message: message)
    }

    private func child(_ v: ConfigValue, _ suffix: String) -> ConfigNode {
        ConfigNode(value: v, path: path.isEmpty ? suffix : path + suffix, file: file, strict: strict)
    }

    public var isNull: Bool { if case .scalar(_, .null) = value.shape { true } else { false } }
    public var isMapping: Bool { if case .mapping = value.shape { true } else { false } }
    public var isSequence: Bool { if case .sequence = value.shape { true } else { false } }

    /// The keys of a mapping in file order.
    public func keys() throws(ConfigError) -> [String] {
        guard case let .mapping(m) = value.shape else { throw error("expected a mapping") }
        return m.map(\.key)
    }

    /// The value under `key`, or nil when absent (or null).
    public func optional(_ key: String) throws(ConfigError) -> ConfigNode? {
        guard case let .mapping(m) = value.shape else { throw error("expected a mapping with '\(key)'") }
        guard let v = m.first(where: { $0.key == key })?.value else { return nil }
        let c = child(v, path.isEmpty ? key : "." + key)
        return c.isNull ? nil : c
    }

    /// The value under `key`; an error naming the key when absent.
    public func required(_ key: String) throws(ConfigError) -> ConfigNode {
        guard let v = try optional(key) else { throw error("missing '\(key)'") }
        return v
    }

    /// Refuses keys other than `allowed`, naming the first stranger (catches typos such as `gpu_count`).
    public func onlyKeys(_ allowed: Set<String>) throws(ConfigError) {
        guard case let .mapping(m) = value.shape else { throw error("expected a mapping") }
        for entry in m where !allowed.contains(entry.key) {
            let name = entry.key
            let plain = name.lowercased().replacingOccurrences(of: "_", with: "")
            let nearest = allowed.sorted().min {
                Self.distance($0.lowercased(), plain) < Self.distance($1.lowercased(), plain)
            }
            .flatMap { Self.distance($0.lowercased(), plain) <= 2 ? $0 : nil }
            let hint =
                nearest.map { " (did you mean '\($0)'?)" }
                ?? " (known: \(allowed.sorted().joined(separator: ", ")))"
            throw ConfigError(
                file: file, line: entry.keyLine ?? line, path: path.isEmpty ? name : "\(path).\(name)",
                message: "unknown field '\(TerminalText.escaped(name))'\(hint)")
        }
    }

    /// Edit distance, for "did you mean" hints; names longer than 64 are too far from any field to compare.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.count > 64 || b.count > 64 { return max(a.count, b.count) }
        var row = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var prev = row[0]
            row[0] = i
            for j in 1...max(1, b.count) where !b.isEmpty {
                let old = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = old
            }
        }
        return row[b.count]
    }

    /// Elements of a sequence, each with its "[i]" path.
    public func elements() throws(ConfigError) -> [ConfigNode] {
        guard case let .sequence(s) = value.shape else { throw error("expected a list") }
        return s.enumerated().map { child($0.element, "[\($0.offset)]") }
    }

    /// (key, value) pairs of a mapping in file order.
    public func entries() throws(ConfigError) -> [(String, ConfigNode)] {
        guard case let .mapping(m) = value.shape else { throw error("expected a mapping") }
        return m.map { ($0.key, child($0.value, path.isEmpty ? $0.key : "." + $0.key)) }
    }

    /// A scalar's text and kind; lists, mappings and null are errors (`expected` names what was wanted).
    private func scalar(_ expected: String) throws(ConfigError) -> (String, ConfigValue.Scalar) {
        switch value.shape {
        case let .scalar(_, kind) where kind == .null: throw error("expected \(expected), found null")
        case let .scalar(text, kind): return (text, kind)
        case .sequence: throw error("expected \(expected), found a list")
        case .mapping: throw error("expected \(expected), found \(strict ? "an object" : "a mapping")")
        }
    }

    /// In JSON, a refusal of a value of the wrong type; nil when `kind` is one of `allowed` (or in YAML).
    private func typeError(
        _ kind: ConfigValue.Scalar, _ text: String, allowed: [ConfigValue.Scalar], expected: String
    ) -> ConfigError? {
        guard strict, !allowed.contains(kind) else { return nil }
        let found =
            switch kind {
            case .text: "text (\"\(TerminalText.escaped(String(text.prefix(40))))\")"
            case .number: "a number (\(text.prefix(40)))"
            case .bool: text
            case .null, .plain: "'\(text.prefix(40))'"
            }
        return error("expected \(expected), found \(found)")
    }

    /// The scalar's text; in JSON, a string.
    public func string() throws(ConfigError) -> String {
        let (s, kind) = try scalar("a single value")
        if let e = typeError(kind, s, allowed: [.text], expected: "text in double quotes") { throw e }
        return s
    }

    /// The scalar's text whatever its type (text or, in JSON, a number), for fields that take either.
    public func textOrNumber(_ expected: String) throws(ConfigError) -> String {
        let (s, kind) = try scalar(expected)
        if let e = typeError(kind, s, allowed: [.text, .number], expected: expected) { throw e }
        return s
    }

    public func int() throws(ConfigError) -> Int {
        let (s, kind) = try scalar("a whole number")
        if let e = typeError(kind, s, allowed: [.number], expected: "a whole number") { throw e }
        guard let v = Int(s) else {
            let digits = s.drop(while: { $0 == "-" })
            if !digits.isEmpty && digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
                throw error("\(s.prefix(40)) is out of range")
            }
            throw error("expected a whole number, found '\(TerminalText.escaped(String(s.prefix(40))))'")
        }
        return v
    }

    public func nonNegativeInt() throws(ConfigError) -> Int {
        let v = try int()
        guard v >= 0 else { throw error("must not be negative (\(v))") }
        return v
    }

    /// A whole number within `bounds`; out of range, an error naming the bounds.
    public func int(in bounds: ClosedRange<Int>) throws(ConfigError) -> Int {
        let v: Int
        do { v = try int() } catch {
            if error.message.hasSuffix("is out of range") {
                throw self.error("must be from \(bounds.lowerBound) to \(bounds.upperBound)")
            }
            throw error
        }
        guard bounds.contains(v) else {
            throw error("must be from \(bounds.lowerBound) to \(bounds.upperBound), not \(v)")
        }
        return v
    }

    public func double() throws(ConfigError) -> Double {
        let s = try textOrNumber("a number")
        guard let v = Double(s), v.isFinite else {
            throw error("expected a number, found '\(TerminalText.escaped(s))'")
        }
        return v
    }

    public func bool() throws(ConfigError) -> Bool {
        let (text, kind) = try scalar("true or false")
        if let e = typeError(kind, text, allowed: [.bool], expected: "true or false") { throw e }
        let s = text.lowercased()
        switch s {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("expected true or false, found '\(TerminalText.escaped(s))'")
        }
    }

    public func byteSize() throws(ConfigError) -> ByteSize {
        let s = try textOrNumber("a size such as 141GB, 2TB or 512GiB")
        if s.trimmingCharacters(in: .whitespaces).hasPrefix("-") {
            throw error("a size must not be negative ('\(TerminalText.escaped(s))')")
        }
        guard let v = ByteSize(parsing: s) else {
            throw error("expected a size such as 141GB, 2TB or 512GiB, found '\(TerminalText.escaped(s))'")
        }
        return v
    }

    public func timeSpan() throws(ConfigError) -> TimeSpan {
        let s = try textOrNumber("a time such as 30m, 4h, 7d or 2-00:00:00")
        guard let v = TimeSpan(parsing: s) else {
            throw error("expected a time such as 30m, 4h, 7d or 2-00:00:00, found '\(TerminalText.escaped(s))'")
        }
        return v
    }

    /// A time span of at most `longest`; longer, an error naming the bound ("at most 365d").
    public func timeSpan(atMost longest: TimeSpan) throws(ConfigError) -> TimeSpan {
        let s = try textOrNumber("a time such as 30m, 4h, 7d or 2-00:00:00")
        if TimeSpan.isTooLong(s) {
            throw error("at most \(longest), not '\(TerminalText.escaped(String(s.prefix(40))))'")
        }
        let v = try timeSpan()
        guard v <= longest else { throw error("at most \(longest), not \(v)") }
        return v
    }

    /// Text naming something (a job, a user, a reason): no control characters, no bidirectional overrides
    /// (`TerminalText.labelProblem`), at most `maxLength` characters.
    public func label(maxLength: Int = 256) throws(ConfigError) -> String {
        let s = try string()
        if let why = TerminalText.labelProblem(s, maxLength: maxLength) { throw error(why) }
        return s
    }

    /// A list of integers given as a YAML list or as ranges text ("0-3,8").
    public func intList() throws(ConfigError) -> [Int] {
        if isSequence { return try elements().map { (e) throws(ConfigError) in try e.int() } }
        let s = try string()
        guard let v = RangeList.expandIntegers(s) else {
            throw error("expected a list of numbers such as [0, 1] or 0-55, found '\(TerminalText.escaped(s))'")
        }
        return v
    }

    /// A list of strings given as a YAML list or as one comma-separated text.
    public func stringList() throws(ConfigError) -> [String] {
        if isSequence { return try elements().map { (e) throws(ConfigError) in try e.string() } }
        return try string().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

extension ConfigNode {
    /// The first field this mapping (or a mapping inside it) gives with a value that `other` lacks at the
    /// same place, as an error naming it; nil when `other` has every one. A request decoded and encoded
    /// again keeps exactly the fields its type knows, so this finds the fields a decoder dropped.
    public func unknownField(comparedWith other: ConfigNode) -> ConfigError? {
        switch (value.shape, other.value.shape) {
        case let (.mapping(mine), .mapping(theirs)):
            for entry in mine where !isNullValue(entry.value) {
                let c = child(entry.value, path.isEmpty ? entry.key : "." + entry.key)
                guard let match = theirs.first(where: { $0.key == entry.key }) else {
                    return ConfigError(
                        file: file, line: entry.keyLine ?? line, path: c.path,
                        message: "unknown field '\(TerminalText.escaped(entry.key))'")
                }
                if let e = c.unknownField(comparedWith: other.child(match.value, "")) { return e }
            }
        case let (.sequence(mine), .sequence(theirs)):
            for (i, (a, b)) in zip(mine, theirs).enumerated() {
                if let e = child(a, "[\(i)]").unknownField(comparedWith: other.child(b, "")) { return e }
            }
        default: break
        }
        return nil
    }

    private func isNullValue(_ v: ConfigValue) -> Bool { if case .scalar(_, .null) = v.shape { true } else { false } }
}
