import Foundation
import RasporedAPI
import Scheduler

/// `--begin`'s forms, Slurm's and schedctl's, read in the local time zone:
/// `now`, `now+90` (seconds), `now+30minutes`, `now+2hours`, `now+1day`, `now+1week`; `+2h` (any time span);
/// `16:00` or `16:00:30` (today, or tomorrow once that time has passed); `2026-12-24`, `2026-12-24T08:00`;
/// `midnight`, `noon`, `elevenses` (11:00), `fika` (15:00), `teatime` (16:00) (the next one); `today`,
/// `tomorrow` (their midnight).
enum BeginTime {
    static let forms = "now+1hour, +2h, 16:00, tomorrow, teatime, 2026-12-24T08:00"

    static func parse(
        _ text: String, now: Date = Date(), timeZone: TimeZone = .current
    ) throws(OptionValueError) -> ReservationTime {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        if t == "now" { return .now }
        if t.hasPrefix("now+") { return .fromNow(try offset(String(t.dropFirst(4)), text)) }
        if t.hasPrefix("+"), let span = TimeSpan(parsing: String(t.dropFirst())) { return .fromNow(span) }
        let named: [String: (Int, Int)] = [
            "midnight": (0, 0), "noon": (12, 0), "elevenses": (11, 0), "fika": (15, 0), "teatime": (16, 0),
        ]
        if let (h, m) = named[t] { return .at(next(hour: h, minute: m, second: 0, after: now, calendar)) }
        if t == "today" { return .at(Int64(calendar.startOfDay(for: now).timeIntervalSince1970)) }
        if t == "tomorrow" {
            let start = calendar.startOfDay(for: now)
            let day = calendar.date(byAdding: .day, value: 1, to: start) ?? start
            return .at(Int64(day.timeIntervalSince1970))
        }
        let clock = t.split(separator: ":", omittingEmptySubsequences: false)
        if (2...3).contains(clock.count),
            clock.allSatisfy({ !$0.isEmpty && $0.count <= 2 && $0.allSatisfy(\.isNumber) })
        {
            let parts = clock.map { Int($0)! }
            let (h, m, s) = (parts[0], parts[1], parts.count == 3 ? parts[2] : 0)
            guard h < 24, m < 60, s < 60 else { throw OptionValueError("not a time of day: '\(text)'") }
            return .at(next(hour: h, minute: m, second: s, after: now, calendar))
        }
        if let moment = ReservationTime(parsing: text, timeZone: timeZone), case .at = moment { return moment }
        throw OptionValueError("not a begin time: '\(text)' (\(forms))")
    }

    /// `90`, `30minutes`, `2hours`, `1day`, `1week` (Slurm's units; a bare count is seconds).
    private static func offset(_ t: String, _ text: String) throws(OptionValueError) -> TimeSpan {
        let digits = t.prefix(while: \.isNumber)
        let unit = t.dropFirst(digits.count)
        guard let n = Int64(digits), n <= 3_650 * 86_400 else {
            throw OptionValueError("not a begin time: '\(text)' (now+COUNT[seconds|minutes|hours|days|weeks])")
        }
        let scale: Int64
        switch unit {
        case "", "s", "sec", "secs", "second", "seconds": scale = 1
        case "m", "min", "mins", "minute", "minutes": scale = 60
        case "h", "hour", "hours": scale = 3_600
        case "d", "day", "days": scale = 86_400
        case "w", "week", "weeks": scale = 7 * 86_400
        default:
            throw OptionValueError("unknown unit '\(unit)' in '\(text)' (seconds, minutes, hours, days or weeks)")
        }
        return TimeSpan(seconds: n * scale)
    }

    /// The next moment at h:m:s local time after `now` (today's, or tomorrow's once today's has passed).
    private static func next(hour h: Int, minute m: Int, second s: Int, after now: Date, _ calendar: Calendar) -> Int64
    {
        let today = calendar.date(bySettingHour: h, minute: m, second: s, of: now) ?? now
        let moment =
            today > now ? today : (calendar.date(byAdding: .day, value: 1, to: today) ?? today)
        return Int64(moment.timeIntervalSince1970)
    }
}
