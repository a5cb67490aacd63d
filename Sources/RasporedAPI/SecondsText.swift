/// Seconds in words for messages and logs: "300" for a whole number, "2.5" otherwise. Safe for any Double
/// (a controller's or a file's value may be huge, infinite or NaN; `Int64(x)` would trap).
public enum SecondsText {
    public static func of(_ x: Double) -> String {
        if x == x.rounded(), let whole = Int64(exactly: x) { return String(whole) }
        return "\(x)"
    }
}
