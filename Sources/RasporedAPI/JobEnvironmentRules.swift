/// What a submitted job's environment (`SubmitRequest.environment`) may hold. The controller checks a
/// submission against these rules (400 with the reason); `schedctl submit` applies the same rules when it
/// captures the submitter's environment, so what it sends is never refused for them.
public enum JobEnvironmentRules {
    /// At most this many variables.
    public static let maxVariables = 4096
    /// At most this many bytes in all, counted as `execve` does: each variable's name, `=`, value and NUL.
    public static let maxTotalBytes = 512 * 1024
    /// At most this many bytes for one variable (`NAME=value`, without the NUL): Linux refuses to `execve`
    /// a longer string (`MAX_ARG_STRLEN`, 128 KiB with the NUL).
    public static let maxVariableBytes = 128 * 1024 - 1

    /// Client secrets: never passed into a job. schedctl does not capture them; the controller refuses a
    /// submission that carries one.
    public static let secrets: Set<String> = ["RASPORED_TOKEN"]

    /// Why `name` cannot be a job's variable, or nil when it can. As in POSIX's `environ`, a name is any
    /// non-empty text without `=` or NUL (Bash's exported functions, `BASH_FUNC_f%%`, included).
    public static func problem(name: String) -> String? {
        if name.isEmpty { return "a variable's name must not be empty" }
        if name.utf8.contains(UInt8(ascii: "=")) { return "a variable's name must not contain '=' ('\(name)')" }
        if name.utf8.contains(0) { return "a variable's name must not contain a NUL byte" }
        if secrets.contains(name) { return "\(name) is a client secret; it is never passed into a job" }
        return nil
    }

    /// Why `value` cannot be variable `name`'s value, or nil when it can.
    public static func problem(name: String, value: String) -> String? {
        if value.utf8.contains(0) { return "\(name): a value must not contain a NUL byte" }
        let bytes = name.utf8.count + 1 + value.utf8.count
        if bytes > maxVariableBytes {
            return "\(name) is \(bytes) bytes long (NAME=value); at most \(maxVariableBytes) fit in a job's environment"
        }
        return nil
    }

    /// Why `environment` as a whole is too big, or nil when it fits.
    public static func problem(environment: [String: String]) -> String? {
        if environment.count > maxVariables {
            return "\(environment.count) variables; a job's environment takes at most \(maxVariables)"
        }
        let total = environment.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 2 }
        if total > maxTotalBytes {
            return "\(total) bytes in all (NAME=value and a NUL for each variable); a job's environment takes at "
                + "most \(maxTotalBytes) (512 KiB)"
        }
        return nil
    }
}
