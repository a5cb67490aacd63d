/// Reads one option and its value from a list of words, as `#SBATCH` and `#RASPORED` lines and
/// `schedctl submit`'s command line give them: `--time=4h`, `--time 4h`, `-t4h`, `-t 4h`, `-t=4h`, and flags
/// without a value (`--exclusive`, `-H`).
struct OptionReader {
    var table: [DirectiveOption]
    /// An option not in the table is an error (`#RASPORED`, the command line); otherwise it is refused unless
    /// it is harmless (`JobDirectives.isHarmless`) or `ignoreUnknown` is set, and then a warning.
    var strict: Bool
    var ignoreUnknown: Bool
    var at: DirectiveLocation
    private(set) var warnings: [String] = []
    private(set) var notes: [String] = []

    init(table: [DirectiveOption], strict: Bool, ignoreUnknown: Bool = false, at: DirectiveLocation) {
        self.table = table
        self.strict = strict
        self.ignoreUnknown = ignoreUnknown
        self.at = at
    }

    /// The option of `table` a word names (`--time=4h`, `--time`, `-t4h`, `-t`), or nil.
    static func option(named word: String, in table: [DirectiveOption]) -> DirectiveOption? {
        let name: Substring
        if word.hasPrefix("--") {
            name = word.dropFirst(2).prefix { $0 != "=" }
        } else if word.hasPrefix("-") {
            name = word.dropFirst().prefix(1)
        } else {
            return nil
        }
        return table.first { $0.answers(to: String(name)) }
    }

    /// Reads the option at `tokens[i]` into `options`; returns the index after it (and its value).
    mutating func read(_ tokens: [String], from start: Int, into options: inout JobOptions) throws(JobScriptError)
        -> Int
    {
        let loc = at
        var i = start
        let token = tokens[i]
        i += 1
        var name: String
        var inline: String?
        var shown: String
        if token.hasPrefix("--"), token.count > 2 {
            let body = token.dropFirst(2)
            if let eq = body.firstIndex(of: "=") {
                name = String(body[..<eq])
                inline = String(body[body.index(after: eq)...])
            } else {
                name = String(body)
            }
            shown = "--" + name
        } else if token.hasPrefix("-"), token.count >= 2, token != "--" {
            name = String(token.dropFirst().prefix(1))
            let rest = token.dropFirst(2)
            inline = rest.isEmpty ? nil : String(rest.hasPrefix("=") ? rest.dropFirst() : rest)
            shown = "-" + name
        } else {
            if strict { throw loc.error("unexpected '\(token)'; options look like --gpus 4 or --gpus=4") }
            warnings.append(loc.text("unexpected '\(token)'; ignored"))
            return i
        }
        guard let option = table.first(where: { $0.answers(to: name) }) else {
            if strict { throw loc.error("unknown option \(shown) (schedctl submit --help lists them)") }
            guard ignoreUnknown || JobDirectives.isHarmless(name) else {
                throw loc.error(
                    "\(loc.keyword) \(shown) is not understood here, and it may change where or how the job runs; "
                        + "remove the line, or submit with --ignore-unknown to ignore it")
            }
            warnings.append(loc.text("\(loc.keyword) \(shown) is not understood here; ignored"))
            // Skip its value when it was given as a separate word.
            if inline == nil, i < tokens.count, !tokens[i].hasPrefix("-") { i += 1 }
            return i
        }
        shown = "--" + option.long
        var value = ""
        if option.takesValue {
            if let inline {
                value = inline
            } else if i < tokens.count {
                value = tokens[i]
                i += 1
            } else {
                throw loc.error("\(loc.prefix)\(shown) needs a value")
            }
        } else if let inline {
            if strict { throw loc.error("\(loc.prefix)\(shown) takes no value, not '\(inline)'") }
            notes.append(loc.text("\(loc.keyword) \(shown)=\(inline) is read as \(shown)"))
        }
        do {
            if let note = try option.apply(&options, value) { notes.append(loc.text(note)) }
        } catch {
            throw loc.error("\(loc.prefix)\(shown): \(error)")
        }
        return i
    }
}
