import Foundation
import Scheduler

/// When a reservation starts or ends, as written: `now`, a time from now (`+2h`, `+1d12h`, `+90m`), or a
/// moment: seconds since the epoch, or ISO 8601 (`2026-12-01T08:00`, `2026-12-01T08:00:00+01:00`,
/// `2026-12-01 08:00Z`, `2026-12-01`).
///
/// A moment without a zone is read in the zone the reader is given: UTC in the API, the local zone in
/// schedctl (which sends seconds since the epoch).
public enum ReservationTime: Hashable, Sendable, CustomStringConvertible {
    case now
    /// This long after now.
    case fromNow(TimeSpan)
    /// Seconds since the epoch.
    case at(Int64)

    /// The moments a reservation may name, in seconds since the epoch: from 1970 to the start of 2100. Within
    /// them, a moment plus the longest reservation cannot overflow.
    public static let moments: ClosedRange<Int64> = 0...4_102_444_800
    public static let momentsText = "a time from 1970 to 2100"

    /// The forms people write, for error messages.
    public static let forms = "now, +2h, 2026-12-01T08:00 or 2026-12-01T08:00:00+01:00"

    /// Parses the forms above; nil for anything else.
    public init?(parsing text: String, timeZone: TimeZone) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.lowercased() == "now" {
            self = .now
        } else if t.hasPrefix("+") {
            guard let span = TimeSpan(parsing: String(t.dropFirst())) else { return nil }
            self = .fromNow(span)
        } else if !t.isEmpty, t.allSatisfy(\.isNumber), let epoch = Int64(t) {
            self = .at(epoch)
        } else if let epoch = Self.iso8601(t, timeZone: timeZone) {
            self = .at(epoch)
        } else {
            return nil
        }
    }

    /// The time in a field of a request (a moment without a zone is UTC); a moment outside `moments`, or one
    /// further from now than `furthest`, is refused.
    public static func read(_ node: ConfigNode, furthest: TimeSpan) throws(ConfigError) -> ReservationTime {
        let text = try node.string()
        guard let t = ReservationTime(parsing: text, timeZone: TimeZone(identifier: "UTC")!) else {
            throw node.error("'\(TerminalText.escaped(text))' is not a time (\(forms))")
        }
        if case let .at(epoch) = t, !moments.contains(epoch) {
            throw node.error("\(momentsText), not \(epoch)")
        }
        if case let .fromNow(span) = t, span > furthest {
            throw node.error("at most \(furthest) from now, not +\(span)")
        }
        return t
    }

    /// Seconds since the epoch, given now.
    public func resolve(now: Int64) -> Int64 {
        switch self {
        case .now: now
        case let .fromNow(span): now + span.seconds
        case let .at(t): t
        }
    }

    /// `now`, `+2h`, or the seconds since the epoch (as the API reads them back).
    public var description: String {
        switch self {
        case .now: "now"
        case let .fromNow(span): "+\(span)"
        case let .at(t): "\(t)"
        }
    }

    /// `YYYY-MM-DD`, then optionally `T` or a space and `HH:MM[:SS]`, then optionally `Z` or `±HH[:MM]`.
    static func iso8601(_ text: String, timeZone: TimeZone) -> Int64? {
        let chars = Array(text)
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= chars.count else { return nil }
            let slice = chars[i..<(i + digits)]
            guard slice.allSatisfy(\.isASCII), slice.allSatisfy(\.isNumber) else { return nil }
            i += digits
            return Int(String(slice))
        }
        func expect(_ c: Character) -> Bool {
            guard i < chars.count, chars[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2) else {
            return nil
        }
        var hour = 0, minute = 0, second = 0
        if i < chars.count, chars[i] == "T" || chars[i] == " " {
            i += 1
            guard let h = number(2), expect(":"), let m = number(2) else { return nil }
            (hour, minute) = (h, m)
            if expect(":") {
                guard let s = number(2) else { return nil }
                second = s
            }
        }
        var zone = timeZone
        if i < chars.count {
            if chars[i] == "Z" {
                i += 1
                zone = TimeZone(identifier: "UTC")!
            } else if chars[i] == "+" || chars[i] == "-" {
                let sign = chars[i] == "-" ? -1 : 1
                i += 1
                guard let h = number(2) else { return nil }
                _ = expect(":")
                let m = i < chars.count ? number(2) : 0
                guard let m, h <= 23, m <= 59, let z = TimeZone(secondsFromGMT: sign * (h * 3600 + m * 60)) else {
                    return nil
                }
                zone = z
            }
        }
        guard i == chars.count, (1...12).contains(month), (1...31).contains(day), hour <= 23, minute <= 59,
            second <= 59
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let date = calendar.date(from: parts) else { return nil }
        // Refuse dates the calendar rolled over (31 April is 1 May).
        let back = calendar.dateComponents([.year, .month, .day], from: date)
        guard back.year == year, back.month == month, back.day == day else { return nil }
        return Int64(date.timeIntervalSince1970.rounded(.down))
    }
}
