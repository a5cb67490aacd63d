import Foundation
import RasporedAPI

/// Which of the submitter's environment variables a job gets: Slurm's `--export`.
///
/// `ALL` (the default) takes the whole environment but for what `dropped(_:)` names; `NONE` takes nothing;
/// a list takes the variables it names, from the environment (`VAR`) or with the value given
/// (`VAR=value`), and with `ALL` in it (`ALL,VAR=value`) those on top of the whole environment.
struct JobExport: Equatable, CustomStringConvertible {
    /// Whether the whole environment is taken.
    var all: Bool
    /// Variables named, in order: a value given, or nil to take the environment's.
    var named: [(name: String, value: String?)]

    static let all = JobExport(all: true, named: [])
    static let none = JobExport(all: false, named: [])

    static func == (a: JobExport, b: JobExport) -> Bool {
        a.all == b.all && a.named.map(\.name) == b.named.map(\.name) && a.named.map(\.value) == b.named.map(\.value)
    }

    var description: String {
        let items = named.map { n in n.value.map { "\(n.name)=\($0)" } ?? n.name }
        if all { return (["ALL"] + items).joined(separator: ",") }
        return items.isEmpty ? "NONE" : items.joined(separator: ",")
    }

    /// `ALL`, `NONE`, or `[ALL,]VAR[=value],…` (comma-separated: a value cannot hold a comma, as in Slurm).
    static func parse(_ text: String) throws(OptionValueError) -> JobExport {
        let hint = "ALL, NONE, or a list VAR,VAR=value (ALL,VAR=value adds to everything)"
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { throw OptionValueError("expected \(hint)") }
        var out = JobExport.none
        var sawNone = false
        for item in t.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            switch item {
            case "ALL": out.all = true
            case "NONE": sawNone = true
            case "": throw OptionValueError("an empty item in '\(text)'; expected \(hint)")
            default:
                let name: String, value: String?
                if let eq = item.firstIndex(of: "=") {
                    name = String(item[..<eq])
                    value = String(item[item.index(after: eq)...])
                } else {
                    name = item
                    value = nil
                }
                if let why = JobEnvironmentRules.problem(name: name) { throw OptionValueError(why) }
                if let value, let why = JobEnvironmentRules.problem(name: name, value: value) {
                    throw OptionValueError(why)
                }
                out.named.append((name, value))
            }
        }
        if sawNone && (out.all || !out.named.isEmpty) {
            throw OptionValueError("NONE exports nothing; it cannot be combined with ALL or variables ('\(text)')")
        }
        return out
    }

    /// Client configuration a job may still use (a job may run schedctl, with the token from its config file).
    static let keptClientVariables: Set<String> = ["RASPORED_CONTROLLER", "RASPORED_CONFIG", "RASPORED_CA"]

    /// Why variable `name` of the submitter's environment is not taken with `ALL`, or nil when it is: client
    /// secrets (`RASPORED_TOKEN`), and the scheduler's per-job variables (`RASPORED_*` but the client's
    /// configuration, and `SLURM_*`), which would describe another job (the one `schedctl submit` runs in).
    /// A variable named in the list is taken anyway, but for a secret.
    static func dropped(_ name: String) -> String? {
        if JobEnvironmentRules.secrets.contains(name) { return "a client secret" }
        if name.hasPrefix("RASPORED_") && !keptClientVariables.contains(name) { return "a scheduler's job variable" }
        if name.hasPrefix("SLURM_") { return "a scheduler's job variable" }
        return nil
    }

    /// The job's environment from the submitter's, with warnings for stderr ("FOO is not set; not exported").
    func environment(from env: [String: String]) throws(OptionValueError) -> ([String: String], [String]) {
        var out: [String: String] = [:]
        var warnings: [String] = []
        if all {
            for (name, value) in env where Self.dropped(name) == nil {
                if let why = JobEnvironmentRules.problem(name: name)
                    ?? JobEnvironmentRules.problem(name: name, value: value)
                {
                    warnings.append("--export: \(why); not exported")
                    continue
                }
                out[name] = value
            }
        }
        for (name, value) in named {
            if let value {
                out[name] = value
            } else if let value = env[name] {
                if let why = JobEnvironmentRules.problem(name: name, value: value) { throw OptionValueError(why) }
                out[name] = value
            } else {
                warnings.append("--export: \(name) is not set here; not exported")
            }
        }
        if let why = JobEnvironmentRules.problem(environment: out) {
            throw OptionValueError(
                "the environment to export is too big: \(why); export less (--export=NONE or a list)")
        }
        return (out, warnings)
    }
}
