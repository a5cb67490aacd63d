import Foundation

/// A reporting period as people name it, in the local time zone: a year (`2026`), a quarter (`2026-Q4`), a
/// month (`2026-11`) or a day (`2026-11-15`); from its first moment to the next period's first moment.
struct UsagePeriod: Hashable {
    var name: String
    /// Seconds since the epoch: the first moment, and the first moment after it.
    var since: Int64
    var until: Int64

    static let forms = "2026, 2026-Q4, 2026-11 or 2026-11-15"

    init?(_ text: String, timeZone: TimeZone = .current) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, first.count == 4, let year = Int(first), (1970...2100).contains(year) else {
            return nil
        }
        var start = DateComponents(year: year, month: 1, day: 1)
        var length = DateComponents(year: 1)
        switch parts.count {
        case 1: break
        case 2 where parts[1].count == 2 && parts[1].hasPrefix("Q"):
            guard let q = Int(parts[1].dropFirst()), (1...4).contains(q) else { return nil }
            start.month = (q - 1) * 3 + 1
            length = DateComponents(month: 3)
        case 2:
            guard parts[1].count == 2, let m = Int(parts[1]), (1...12).contains(m) else { return nil }
            start.month = m
            length = DateComponents(month: 1)
        case 3:
            guard parts[1].count == 2, parts[2].count == 2, let m = Int(parts[1]), let d = Int(parts[2]),
                (1...12).contains(m), (1...31).contains(d)
            else { return nil }
            start.month = m
            start.day = d
            length = DateComponents(day: 1)
        default: return nil
        }
        guard let from = calendar.date(from: start), let to = calendar.date(byAdding: length, to: from),
            calendar.component(.day, from: from) == start.day
        else { return nil }
        name = text
        since = Int64(from.timeIntervalSince1970)
        until = Int64(to.timeIntervalSince1970)
    }

    /// The month `now` falls in (nil for a clock outside 1970 to 2100).
    static func month(of now: Int64, timeZone: TimeZone = .current) -> UsagePeriod? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month], from: Date(timeIntervalSince1970: TimeInterval(now)))
        let text = String(format: "%04d-%02d", c.year ?? 1970, c.month ?? 1)
        return UsagePeriod(text, timeZone: timeZone)
    }
}
