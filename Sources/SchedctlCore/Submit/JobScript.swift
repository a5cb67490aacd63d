import Foundation

/// A batch script: its `#RASPORED` and `#SBATCH` directives and how to run it.
///
/// Directives are read, as Slurm reads them, from the top of the script until the first line that is
/// neither blank nor a comment; later directives override earlier ones. `#RASPORED` lines take
/// schedctl's own options (an unknown one is an error); `#SBATCH` lines take the common Slurm options
/// (`JobDirectives.sbatch`). An `#SBATCH` option not understood is refused with its line, since it may
/// change where or how the job runs (`--hold`, `--exclude`, `--qos`), unless it is one that cannot
/// (`JobDirectives.sbatchHarmless`: mail, comments, verbosity) or `ignoreUnknown` is set: then it is a
/// warning and the submission goes on.
struct JobScript: Equatable {
    /// The options the directives set.
    var options = JobOptions()
    /// "train.sh:7: #SBATCH --mail-type is not understood here; ignored"
    var warnings: [String] = []
    /// Options accepted but not used as written ("--ntasks-per-node is ignored: ...").
    var notes: [String] = []
    /// The program that runs the script: its shebang's, or /bin/bash.
    var interpreter: [String] = ["/bin/bash"]

    /// The job's command: the interpreter, the script's absolute path, then the script's arguments.
    func command(path: String, arguments: [String]) -> [String] {
        interpreter + [path] + arguments
    }

    static func parse(_ text: String, file: String, ignoreUnknown: Bool = false) throws(JobScriptError) -> JobScript {
        var script = JobScript()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, raw) in lines.enumerated() {
            let number = index + 1
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            if number == 1, line.hasPrefix("#!") {
                let words = line.dropFirst(2).split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                if !words.isEmpty { script.interpreter = words }
                continue
            }
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            guard line.hasPrefix("#") else { break }  // the first command: directives end here
            for (keyword, table, strict) in [
                ("#RASPORED", JobDirectives.raspored, true), ("#SBATCH", JobDirectives.sbatch, false),
            ] {
                guard line.hasPrefix(keyword) else { continue }
                let rest = line.dropFirst(keyword.count)
                guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { continue }
                let tokens: [String]
                do { tokens = try tokenize(String(rest)) } catch {
                    throw JobScriptError(file: file, line: number, message: "\(keyword): \(error)")
                }
                try script.read(
                    tokens, table: table, strict: strict, ignoreUnknown: ignoreUnknown,
                    at: DirectiveLocation(file: file, line: number, keyword: keyword))
            }
        }
        return script
    }

    private mutating func read(
        _ tokens: [String], table: [DirectiveOption], strict: Bool, ignoreUnknown: Bool, at loc: DirectiveLocation
    ) throws(JobScriptError) {
        var i = 0
        while i < tokens.count {
            var reader = OptionReader(table: table, strict: strict, ignoreUnknown: ignoreUnknown, at: loc)
            i = try reader.read(tokens, from: i, into: &options)
            warnings += reader.warnings
            notes += reader.notes
        }
    }

    /// Splits a directive's words: whitespace-separated, with '…' and "…" quoting, up to a `#` comment.
    static func tokenize(_ text: String) throws -> [String] {
        var tokens: [String] = []
        var current = ""
        var inToken = false
        var quote: Character?
        for ch in text {
            if let q = quote {
                if ch == q { quote = nil } else { current.append(ch) }
                continue
            }
            switch ch {
            case "'", "\"":
                quote = ch
                inToken = true
            case " ", "\t":
                if inToken { tokens.append(current) }
                current = ""
                inToken = false
            case "#" where !inToken:
                return tokens
            default:
                current.append(ch)
                inToken = true
            }
        }
        if quote != nil { throw OptionValueError("unterminated quote") }
        if inToken { tokens.append(current) }
        return tokens
    }
}

/// Where an option was given: a directive's file, line and keyword, or the command line (`commandLine`).
struct DirectiveLocation {
    var file: String
    var line: Int
    var keyword: String

    /// schedctl submit's own arguments.
    static let commandLine = DirectiveLocation(file: "", line: 0, keyword: "")

    /// The keyword and a space before an option's name ("#SBATCH "), or nothing on the command line.
    var prefix: String { keyword.isEmpty ? "" : keyword + " " }

    func text(_ message: String) -> String { file.isEmpty ? message : "\(file):\(line): \(message)" }
    func error(_ message: String) -> JobScriptError { JobScriptError(file: file, line: line, message: message) }
}

/// A directive schedctl cannot take: "train.sh:3: #SBATCH --time: not a time: 'soon' (...)".
struct JobScriptError: Error, Equatable, CustomStringConvertible {
    var file: String
    var line: Int
    var message: String

    var description: String { file.isEmpty ? message : "\(file):\(line): \(message)" }
}
