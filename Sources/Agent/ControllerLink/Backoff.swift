/// Retry delays while the controller is unreachable: doubling from `initial` up to `maximum`, with up to
/// a quarter of jitter so six agents that lost the same controller do not come back in lockstep.
public struct Backoff: Sendable {
    public var initial: Duration
    public var maximum: Duration
    private var current: Duration?

    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(15)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The next delay (jittered), growing each call.
    public mutating func next() -> Duration {
        let base = current.map { min($0 * 2, maximum) } ?? initial
        current = base
        return base * Double.random(in: 0.75...1.0)
    }

    /// After a success: the next failure waits `initial` again.
    public mutating func reset() { current = nil }
}
