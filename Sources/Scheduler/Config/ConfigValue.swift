import Yams

/// A parsed YAML or JSON value with the line it starts on; `ConfigNode` reads it.
struct ConfigValue: Sendable {
    /// What a scalar was written as.
    enum Scalar: Sendable, Equatable {
        /// JSON: a string in quotes; YAML: a quoted scalar.
        case text
        /// JSON: a number, kept as written.
        case number
        /// JSON: `true` or `false`.
        case bool
        /// JSON `null`; YAML `~`, `null` or nothing.
        case null
        /// YAML: a plain scalar, text that each accessor reads as it needs.
        case plain
    }

    struct Entry: Sendable {
        var key: String
        var keyLine: Int?
        var value: ConfigValue
    }

    enum Shape: Sendable {
        case scalar(String, Scalar)
        case sequence([ConfigValue])
        case mapping([Entry])
    }

    var shape: Shape
    /// 1-based; nil where the reader does not say.
    var line: Int?

    init(_ shape: Shape, line: Int?) {
        self.shape = shape
        self.line = line
    }

    /// The value of a node Yams composed; a key that is not a scalar is an error.
    init(yaml node: Yams.Node, file: String?) throws(ConfigError) {
        line = node.mark?.line
        switch node {
        case let .scalar(s):
            let isNull =
                s.tag.rawValue.hasSuffix("null") || ["", "~", "null"].contains(s.string) && s.style == .plain
            let quoted = s.style == .singleQuoted || s.style == .doubleQuoted
            shape = .scalar(s.string, isNull ? .null : quoted ? .text : .plain)
        case let .sequence(items):
            var out: [ConfigValue] = []
            out.reserveCapacity(items.count)
            for item in items { out.append(try ConfigValue(yaml: item, file: file)) }
            shape = .sequence(out)
        case let .mapping(pairs):
            var out: [Entry] = []
            out.reserveCapacity(pairs.count)
            for (k, v) in pairs {
                guard case let .scalar(key) = k else {
                    throw ConfigError(file: file, line: k.mark?.line, path: "", message: "keys must be text")
                }
                out.append(Entry(key: key.string, keyLine: k.mark?.line, value: try ConfigValue(yaml: v, file: file)))
            }
            shape = .mapping(out)
        case .alias:
            throw ConfigError(file: file, line: line, path: "", message: "aliases are not supported")
        }
    }
}
