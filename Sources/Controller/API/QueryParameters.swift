import Hummingbird
import Scheduler

/// A request's query parameters, read strictly: a name the route does not know, or one given twice, is a
/// 400 (so a typo such as `?dryrun=true` never passes for a real submission), and each value is exactly
/// its type (`true` or `false` for a flag).
struct QueryParameters {
    private var values: [String: String] = [:]

    /// The parameters of `request`; `allowed` are the names its route reads.
    init(_ request: Request, allowed: Set<String>) throws {
        for (name, value) in request.uri.queryParameters {
            let name = String(name)
            guard allowed.contains(name) else {
                let known =
                    allowed.isEmpty ? "this route takes none" : "known: \(allowed.sorted().joined(separator: ", "))"
                throw APIError(.badRequest, "unknown query parameter '\(TerminalText.escaped(name))' (\(known))")
            }
            guard values.updateValue(String(value), forKey: name) == nil else {
                throw APIError(.badRequest, "the query parameter '\(name)' is given twice")
            }
        }
    }

    func text(_ name: String) -> String? { values[name] }

    /// `true` or `false`; nil when absent.
    func flag(_ name: String) throws -> Bool? {
        guard let text = values[name] else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default: throw APIError(.badRequest, "\(name) is true or false, not '\(TerminalText.escaped(text))'")
        }
    }

    /// A whole number within `bounds`; nil when absent. `what` says what it is ("a byte position").
    func integer(_ name: String, in bounds: ClosedRange<Int64>, what: String) throws -> Int64? {
        guard let text = values[name] else { return nil }
        guard let v = Int64(text), bounds.contains(v) else {
            let range =
                bounds.upperBound == .max
                ? "\(bounds.lowerBound) or more" : "\(bounds.lowerBound) to \(bounds.upperBound)"
            throw APIError(.badRequest, "\(name) is \(what) (\(range)), not '\(TerminalText.escaped(text))'")
        }
        return v
    }
}
