import Foundation
import RasporedAPI
import Scheduler

/// Ended jobs as a trace in the project's CSV format (`TraceCSV`), for `schedctl simulate` to replay and for
/// the replay to be checked against the controller job by job.
///
/// Each job that ran is one line: `id` the controller's job id, `submit` in seconds after the origin to the
/// millisecond, `duration` its last run from placement to exit (`endMillis` − `startMillis`), `time_limit` the
/// limit in force, the request with the account and partition the controller resolved, and `hold`, how long
/// it held its allocation past its exit (`releasedMillis` − `endMillis`; empty where no release is recorded). The origin is the
/// earliest submit floored to a whole second, so that a replay's whole-second clock lines up with the
/// controller's. Jobs that never started are left out.
struct HistoryTrace {
    /// The trace's start, in seconds since the epoch; nil when no job ran.
    var origin: Int64?
    var workload: Workload
    /// Ended jobs left out because they never started (cancelled while pending).
    var neverStarted: Int
    /// How long each exported job held its allocation past its run's end (`releasedMillis` − `endMillis`),
    /// in milliseconds, shortest first; jobs without a recorded release are not in it.
    var holdMillis: [Int64]

    init(_ jobs: [JobView]) {
        let ran = jobs.filter { $0.startMillis != nil && $0.endMillis != nil }
            .sorted { ($0.submitMillis, $0.id) < ($1.submitMillis, $1.id) }
        neverStarted = jobs.count - ran.count
        let origin = ran.first.map { Timestamp(millis: $0.submitMillis).seconds }
        self.origin = origin
        let originMillis = (origin ?? 0) * 1000
        workload = Workload(
            jobs: ran.map { j in
                var r = j.request
                r.time = TimeSpan(seconds: j.timeLimit)
                r.account = j.account
                r.partition = j.partition
                return TraceJob(
                    id: "\(j.id)", submit: Self.seconds(j.submitMillis - originMillis),
                    duration: Self.seconds((j.endMillis ?? 0) - (j.startMillis ?? 0)), request: r, user: j.user,
                    hold: Self.hold(j).map(Self.seconds))
            }, provenance: "controller history, \(ran.count) jobs")
        holdMillis = ran.compactMap(Self.hold).sorted()
    }

    /// How long `j` held its allocation past its run's end, in milliseconds, at most the hour a trace may give
    /// (`TraceJob.longestHold`: a release later than that came with its node declared lost long after);
    /// nil without a recorded release.
    static func hold(_ j: JobView) -> Int64? {
        let longest = Int64(TraceJob.longestHold * 1000)
        return j.releasedMillis.flatMap { r in j.endMillis.map { min(max(r - $0, 0), longest) } }
    }

    /// The trace's text.
    var text: String { TraceCSV.write(workload) }

    /// What stderr says: the origin, the hold past the run, and the jobs left out.
    var notes: [String] {
        var lines: [String] = []
        if let origin {
            lines.append("trace origin: \(origin) (\(Self.utc(origin))); submit times are seconds after it")
        } else {
            lines.append("no ended job ran: the trace is empty")
        }
        if let median = Self.quantile(holdMillis, 0.5), let p95 = Self.quantile(holdMillis, 0.95) {
            lines.append(
                "hold past the run (released - end) over \(holdMillis.count) jobs: median \(median) ms, p95 \(p95) ms")
        }
        if neverStarted > 0 {
            lines.append("\(neverStarted) job\(neverStarted == 1 ? "" : "s") never started (left out)")
        }
        return lines
    }

    /// Milliseconds as seconds, exact to the millisecond in the trace's text.
    static func seconds(_ millis: Int64) -> Double { Double(millis) / 1000 }

    /// The nearest-rank quantile `p` of `sorted` (`nearestRank`); nil when it is empty.
    static func quantile(_ sorted: [Int64], _ p: Double) -> Int64? { nearestRank(sorted, p) }

    /// "2026-11-29T14:05:00Z".
    static func utc(_ epoch: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(epoch)))
    }
}
