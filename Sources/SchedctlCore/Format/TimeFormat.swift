import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// Durations for people: "3m12s", "2d4h"; "0s" for none.
func humanDuration(_ seconds: Int64) -> String {
    TimeSpan(seconds: max(0, seconds)).description
}

/// A moment (seconds since the epoch) in the local time zone: "2025-03-14 09:26:53".
func localTime(_ epoch: Int64) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = .current
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(epoch)))
}

/// Now, in seconds since the epoch.
func nowEpoch() -> Int64 { Int64(Date().timeIntervalSince1970) }

/// A future or past moment relative to now: "in 2h3m", "5m ago", "just now".
func relative(_ epoch: Int64, now: Int64 = nowEpoch()) -> String {
    if epoch == now { return "just now" }
    return epoch > now ? "in \(humanDuration(epoch - now))" : "\(humanDuration(now - epoch)) ago"
}

/// A `--since` option in seconds since the epoch: a duration back from `now` ("1d", "12h"), or a moment
/// ("2026-12-01T08:00", local time); nil when not given.
func sinceEpoch(_ since: String?, now: Int64) throws -> Int64? { try pastTime(since, flag: "since", now: now) }

/// A time option (`--since`, `--until`) in seconds since the epoch: a duration back from `now` ("1d", "12h"),
/// or a moment ("now", "2026-12-01T08:00" in local time); nil when not given.
func pastTime(_ text: String?, flag: String, now: Int64) throws -> Int64? {
    guard let text else { return nil }
    if let span = TimeSpan(parsing: text) { return max(0, now - span.seconds) }
    if let t = ReservationTime(parsing: text, timeZone: .current) { return max(0, t.resolve(now: now)) }
    throw ValidationError("--\(flag) takes a duration (1d, 12h) or a time (2026-12-01T08:00), not '\(text)'")
}
