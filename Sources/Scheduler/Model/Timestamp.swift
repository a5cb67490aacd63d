/// A moment in the controller's records: milliseconds since the epoch.
///
/// The engine plans in whole seconds (`seconds`, the floor); the controller records its jobs' submit,
/// start, end and release to the millisecond, so a replay can be checked against what happened.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Milliseconds since the epoch.
    public var millis: Int64

    public init(millis: Int64) { self.millis = millis }

    /// The millisecond that `epochSeconds` (seconds since the epoch, as a clock gives them) falls in: taken
    /// to the nearest microsecond first, so that a time a `Double` cannot hold exactly (`100.999`) keeps its
    /// millisecond; nil when it is no time an `Int64` of microseconds can hold (NaN, ±1e300).
    public init?(epochSeconds: Double) {
        guard let micros = Int64(exactly: (epochSeconds * 1_000_000).rounded()) else { return nil }
        millis = Self.floor(micros, 1000)
    }

    /// A whole second: `seconds` × 1000 milliseconds.
    public static func seconds(_ s: Int64) -> Timestamp { Timestamp(millis: s * 1000) }

    /// The whole second it falls in: the floor of `millis` / 1000, also before the epoch.
    public var seconds: Int64 { Self.seconds(ofMillis: millis) }

    /// The floor of `millis` / 1000.
    public static func seconds(ofMillis millis: Int64) -> Int64 { floor(millis, 1000) }

    /// The floor of `a` / `b`, for `b` > 0.
    private static func floor(_ a: Int64, _ b: Int64) -> Int64 {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        return r < 0 ? q - 1 : q
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.millis < b.millis }

    /// "1764412345.678": seconds since the epoch with three decimals.
    public var description: String {
        let ms = String(millis - seconds * 1000)
        return "\(seconds)." + String(repeating: "0", count: 3 - ms.count) + ms
    }
}
