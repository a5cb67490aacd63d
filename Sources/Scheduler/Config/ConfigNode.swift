import Foundation
import Yams

/// A YAML (or JSON) node that knows its file, line and path, so every error can say where it is.
///
/// The only way the engine reads YAML: parsing is Yams's; this type adds locations and typed
/// accessors that throw `ConfigError`.
public struct ConfigNode: @unchecked Sendable {
    let node: Yams.Node
    /// Path from the document root, e.g. "nodes[3].type".
    public let path: String
    /// The file name used in error messages.
    public let file: String?

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
        return ConfigNode(node: root, path: "", file: file)
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
    public var line: Int? { node.mark?.line }

    /// An error located at this node.
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

    /// Parses an HTTP request body that must be one JSON object: an empty body, malformed JSON (the reader is
    /// YAML's, as JSON is YAML; errors say JSON) and anything but an object are errors with line and field.
    public static func parseJSONObject(_ text: String) throws(ConfigError) -> ConfigNode {
        if text.allSatisfy(\.isWhitespace) {
            throw ConfigError(
                file: nil, line: nil, path: "", message: "the request body is empty; expected a JSON object")
        }
        let root: ConfigNode
        do {
            root = try ConfigNode.parse(text, file: nil)
        } catch {
            var e = error
            e.message = e.message.replacingOccurrences(of: "malformed YAML", with: "malformed JSON")
            throw e
        }
        guard root.isMapping else { throw root.error("expected a JSON object") }
        return root
    }

    public func error(_ message: String) -> ConfigError {
        ConfigError(file: file, line: line, path: path, message: message)
    }

    private func child(_ n: Yams.Node, _ suffix: String) -> ConfigNode {
        ConfigNode(node: n, path: path.isEmpty ? suffix : path + suffix, file: file)
    }

    public var isNull: Bool {
        if case let .scalar(s) = node {
            return s.tag.rawValue.hasSuffix("null") || ["", "~", "null"].contains(s.string) && s.style == .plain
        }
        return false
    }
    public var isMapping: Bool { if case .mapping = node { true } else { false } }
    public var isSequence: Bool { if case .sequence = node { true } else { false } }

    /// The keys of a mapping in file order.
    public func keys() throws(ConfigError) -> [String] {
        guard case let .mapping(m) = node else { throw error("expected a mapping") }
        return m.keys.compactMap(\.string)
    }

    /// The value under `key`, or nil when absent (or null).
    public func optional(_ key: String) throws(ConfigError) -> ConfigNode? {
        guard case let .mapping(m) = node else { throw error("expected a mapping with '\(key)'") }
        guard let v = m[key] else { return nil }
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
        guard case let .mapping(m) = node else { throw error("expected a mapping") }
        for (k, _) in m {
            guard let name = k.string else { continue }
            if !allowed.contains(name) {
                let plain = name.lowercased().replacingOccurrences(of: "_", with: "")
                let nearest = allowed.sorted().min {
                    Self.distance($0.lowercased(), plain) < Self.distance($1.lowercased(), plain)
                }
                .flatMap { Self.distance($0.lowercased(), plain) <= 2 ? $0 : nil }
                let hint =
                    nearest.map { " (did you mean '\($0)'?)" }
                    ?? " (known: \(allowed.sorted().joined(separator: ", ")))"
                throw ConfigError(
                    file: file, line: k.mark?.line ?? line, path: path.isEmpty ? name : "\(path).\(name)",
                    message: "unknown field '\(name)'\(hint)")
            }
        }
    }

    /// Edit distance, for "did you mean" hints.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
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
        guard case let .sequence(s) = node else { throw error("expected a list") }
        return s.enumerated().map { child($0.element, "[\($0.offset)]") }
    }

    /// (key, value) pairs of a mapping in file order.
    public func entries() throws(ConfigError) -> [(String, ConfigNode)] {
        guard case let .mapping(m) = node else { throw error("expected a mapping") }
        var out: [(String, ConfigNode)] = []
        for (k, v) in m {
            guard let name = k.string else { throw error("keys must be text") }
            out.append((name, child(v, path.isEmpty ? name : "." + name)))
        }
        return out
    }

    /// The scalar's text.
    public func string() throws(ConfigError) -> String {
        guard case let .scalar(s) = node else {
            throw error("expected a single value, found a \(isSequence ? "list" : "mapping")")
        }
        return s.string
    }

    public func int() throws(ConfigError) -> Int {
        let s = try string()
        guard let v = Int(s) else { throw error("expected a whole number, found '\(s)'") }
        return v
    }

    public func nonNegativeInt() throws(ConfigError) -> Int {
        let v = try int()
        guard v >= 0 else { throw error("must not be negative (\(v))") }
        return v
    }

    public func double() throws(ConfigError) -> Double {
        let s = try string()
        guard let v = Double(s), v.isFinite else { throw error("expected a number, found '\(s)'") }
        return v
    }

    public func bool() throws(ConfigError) -> Bool {
        let s = try string().lowercased()
        switch s {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("expected true or false, found '\(s)'")
        }
    }

    public func byteSize() throws(ConfigError) -> ByteSize {
        let s = try string()
        if s.trimmingCharacters(in: .whitespaces).hasPrefix("-") { throw error("a size must not be negative ('\(s)')") }
        guard let v = ByteSize(parsing: s) else {
            throw error("expected a size such as 141GB, 2TB or 512GiB, found '\(s)'")
        }
        return v
    }

    public func timeSpan() throws(ConfigError) -> TimeSpan {
        let s = try string()
        guard let v = TimeSpan(parsing: s) else {
            throw error("expected a time such as 30m, 4h, 7d or 2-00:00:00, found '\(s)'")
        }
        return v
    }

    /// A list of integers given as a YAML list or as ranges text ("0-3,8").
    public func intList() throws(ConfigError) -> [Int] {
        if isSequence { return try elements().map { (e) throws(ConfigError) in try e.int() } }
        let s = try string()
        guard let v = RangeList.expandIntegers(s) else {
            throw error("expected a list of numbers such as [0, 1] or 0-55, found '\(s)'")
        }
        return v
    }

    /// A list of strings given as a YAML list or as one comma-separated text.
    public func stringList() throws(ConfigError) -> [String] {
        if isSequence { return try elements().map { (e) throws(ConfigError) in try e.string() } }
        return try string().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
