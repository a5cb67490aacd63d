/// Each user's submissions per minute (`AdmissionLimits.submissionsPerMinute`), as token buckets: a user
/// may submit a burst of as many at once, then as fast as the bucket refills. Kept in memory: a restarted
/// controller starts every user with a full bucket.
struct SubmissionRate: Sendable {
    private var buckets: [String: (tokens: Double, at: ContinuousClock.Instant)] = [:]

    /// Takes one submission from `user`'s bucket at `now`; nil when granted, else the seconds until one is.
    mutating func take(_ user: String, perMinute: Int, now: ContinuousClock.Instant) -> Int? {
        let capacity = Double(perMinute)
        let perSecond = capacity / 60
        var (tokens, at) = buckets[user] ?? (capacity, now)
        tokens = min(capacity, tokens + (now - at).seconds * perSecond)
        guard tokens >= 1 else {
            buckets[user] = (tokens, now)
            return max(1, Int(((1 - tokens) / perSecond).rounded(.up)))
        }
        buckets[user] = (tokens - 1, now)
        // Full buckets need no memory: forget them, so the table holds only recent submitters.
        if buckets.count > 10_000 { buckets = buckets.filter { $0.value.tokens < capacity - 1 } }
        return nil
    }
}
