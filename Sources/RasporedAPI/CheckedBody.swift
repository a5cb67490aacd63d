import Scheduler

/// A request body with rules beyond its JSON types (names without control characters, bounded sizes): the
/// controller refuses one that breaks them, with `problem` as the reason.
public protocol CheckedBody {
    /// Why the body is refused, naming the field; nil when it is acceptable.
    var problem: String? { get }
}

/// Who a token names: as a Unix account name, so jobs can run as that user.
public enum UserName {
    /// The longest name, as Linux's `useradd` allows.
    public static let maxLength = 32

    /// Why `name` cannot be a user's name: empty, longer than `maxLength`, or with characters other than
    /// letters, digits, `_`, `.`, `-` and `@` (not first: `-`); nil when it can.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "a user's name must not be empty" }
        if name.utf8.count > maxLength {
            return "a user's name is at most \(maxLength) bytes, not \(name.utf8.count)"
        }
        let allowed = name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_.-@".unicodeScalars.contains($0))
        }
        if !allowed || name.hasPrefix("-") {
            return
                "a user's name is letters, digits, '_', '.', '-' and '@' (not '-' first), not '\(TerminalText.escaped(name))'"
        }
        return nil
    }
}

extension TokenRequest: CheckedBody {
    public var problem: String? {
        if node != nil {
            return TerminalText.labelProblem(user, maxLength: 64).map { "user: \($0)" }
        }
        return UserName.problem(user).map { "user: \($0)" }
    }
}

extension DrainRequest: CheckedBody {
    public var problem: String? {
        TerminalText.labelProblem(reason, maxLength: 1024).map { "reason: \($0)" }
    }
}
