/// Node features (cluster.yaml `features`): labels a job selects nodes by with a `constraint`.
public enum NodeFeature {
    /// The longest feature name.
    public static let maxLength = 64
    /// The most features one node type, or one node, declares.
    public static let maxCount = 64

    /// Why `name` cannot be a feature, or nil: a feature is 1 to `maxLength` letters, digits, `-`, `_` or
    /// `.`, so that a constraint's operators (`&`, `|`, `,`) and Slurm's other syntax cannot appear in one.
    public static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "a feature name must not be empty" }
        if name.count > maxLength {
            return "a feature name is at most \(maxLength) characters, not \(name.count)"
        }
        let allowed = name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
        }
        if !allowed {
            return "feature '\(TerminalText.escaped(name))': use only letters, digits, '-', '_' and '.'"
        }
        return nil
    }
}

/// A job's `constraint`: the node features every node it runs on must have, as Slurm's `--constraint`
/// writes them, limited to feature names joined by `&` (and; `,` is read as `&` too) and `|` (or), `&`
/// binding tighter: `nvlink&ib-ndr|h200` is (nvlink and ib-ndr) or h200. Slurm's brackets, parentheses,
/// counts (`a*2`) and negation are refused.
public struct NodeConstraint: Hashable, Sendable, CustomStringConvertible {
    /// The alternatives (or), each the features a node must all have (and).
    public var alternatives: [[String]]

    /// The longest constraint text.
    public static let maxLength = 1024
    /// The most feature names in one constraint.
    public static let maxTerms = 64

    /// Why a text is not a constraint this engine reads.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads `text`; an error says what is wrong and what is supported.
    public init(parsing text: String) throws(ParseError) {
        let supported =
            "a constraint is feature names joined by '&' (and, also ',') and '|' (or), such as nvlink&ib-ndr|h200"
        if text.count > Self.maxLength {
            throw ParseError(description: "a constraint is at most \(Self.maxLength) characters, not \(text.count)")
        }
        if let bad = text.first(where: { "[]()*!".contains($0) }) {
            let what =
                switch bad {
                case "[", "]": "brackets (Slurm's matching OR and multiple counts)"
                case "(", ")": "parentheses"
                case "*": "counts (feature*count)"
                default: "negation ('!')"
                }
            throw ParseError(description: "\(what) are not supported: \(supported)")
        }
        var alternatives: [[String]] = []
        var terms = 0
        for alternative in text.split(separator: "|", omittingEmptySubsequences: false) {
            var all: [String] = []
            for piece in alternative.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "&" || $0 == "," })
            {
                let name = piece.trimmingCharacters(in: .whitespaces)
                if name.isEmpty {
                    throw ParseError(description: "an operator without a feature on each side: \(supported)")
                }
                if let why = NodeFeature.nameProblem(name) { throw ParseError(description: "\(why); \(supported)") }
                terms += 1
                if terms > Self.maxTerms {
                    throw ParseError(description: "a constraint names at most \(Self.maxTerms) features")
                }
                if !all.contains(name) { all.append(name) }
            }
            alternatives.append(all)
        }
        self.alternatives = alternatives
    }

    /// Every feature it names, in the order written, each once.
    public var features: [String] {
        var out: [String] = []
        for a in alternatives { for f in a where !out.contains(f) { out.append(f) } }
        return out
    }

    /// Whether a node with `features` meets it.
    public func matches(_ features: Set<String>) -> Bool {
        alternatives.contains { $0.allSatisfy(features.contains) }
    }

    public var description: String { alternatives.map { $0.joined(separator: "&") }.joined(separator: "|") }
}
