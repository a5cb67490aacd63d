import Foundation

/// Reads the Microsoft Philly trace as extracted by the Pollux authors (`philly.csv`:
/// `timestamp,duration,num_gpus,gpu_time,cluster`, one row per job, rows not in time order).
///
/// Mapping, per row:
/// - `id`: `philly-<row>`, the 1-based data row in the file (the extraction has no job id);
/// - `submit`: `timestamp` ("YYYY-MM-DD HH:MM:SS", no zone) minus the earliest timestamp in the file;
/// - `duration`: `duration` (seconds);
/// - `gpus`: `num_gpus`; `account`: `cluster` (the Philly virtual cluster, which is how Philly shared
///   capacity between teams);
/// - not in the file, left unset: time limit (the partition's default applies), user, CPUs, memory,
///   nodes (the engine spreads a job over as few nodes as hold its GPUs), GPU model;
/// - `gpu_time` must equal duration × num_gpus; a row where it does not is an error.
public enum PhillyTrace {
    public static func read(path: String) throws(ConfigError) -> Workload {
        let (text, name) = try Workload.readTrace(path: path)
        return try parse(text, file: name)
    }

    public static func parse(_ text: String, file: String = "philly.csv") throws(ConfigError) -> Workload {
        let csv = try CSVRecords(text, file: file)
        let col = try csv.columns(
            required: ["timestamp", "duration", "num_gpus", "gpu_time", "cluster"], optional: [], allowOthers: true)
        var rows: [(id: String, at: Int64, duration: Double, gpus: Int, cluster: String)] = []
        rows.reserveCapacity(csv.records.count)
        for (n, record) in csv.records.enumerated() {
            func fail(_ path: String, _ m: String) -> ConfigError { csv.error(line: record.line, path: path, m) }
            let stamp = record.field(col["timestamp"])
            guard let at = epochSeconds(stamp) else {
                throw fail("timestamp", "'\(stamp)' is not a time such as 2017-10-09 07:01:55")
            }
            let d = record.field(col["duration"])
            guard let duration = Double(d), duration.isFinite, duration >= 0 else {
                throw fail("duration", "'\(d)' is not a number of seconds")
            }
            guard duration <= TraceJob.longestTime else {
                throw fail("duration", "at most 100 years (\(TimeSpan.longestParsed) s), not \(d)")
            }
            let g = record.field(col["num_gpus"])
            guard let gpus = Int(g), gpus >= 0 else { throw fail("num_gpus", "'\(g)' is not a whole number") }
            let t = record.field(col["gpu_time"])
            guard let gpuTime = Double(t), abs(gpuTime - duration * Double(gpus)) <= 1e-6 * max(1, gpuTime) else {
                throw fail("gpu_time", "'\(t)' is not duration × num_gpus (\(duration * Double(gpus)))")
            }
            rows.append(("philly-\(n + 1)", at, duration, gpus, record.field(col["cluster"])))
        }
        let start = rows.map(\.at).min() ?? 0
        let jobs = rows.map { r in
            TraceJob(
                id: r.id, submit: Double(r.at - start), duration: r.duration,
                request: ResourceRequest(gpus: r.gpus, account: r.cluster.isEmpty ? nil : r.cluster))
        }
        return Workload(
            jobs: jobs,
            provenance: "Microsoft Philly trace (Pollux extraction) \(file), \(jobs.count) jobs; "
                + "no time limits, users, CPUs or memory in the source")
    }

    /// Seconds since 1970-01-01 00:00:00 of "YYYY-MM-DD HH:MM:SS" read as UTC; nil when malformed.
    static func epochSeconds(_ text: String) -> Int64? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "T" })
        guard parts.count == 2 else { return nil }
        let date = parts[0].split(separator: "-", omittingEmptySubsequences: false).map { Int64($0) }
        let clock = parts[1].split(separator: ":", omittingEmptySubsequences: false).map { Int64($0) }
        guard date.count == 3, clock.count == 3, let y = date[0], let m = date[1], let d = date[2],
            let hh = clock[0], let mm = clock[1], let ss = clock[2],
            (1...9999).contains(y), (1...12).contains(m), (1...31).contains(d), (0...23).contains(hh),
            (0...59).contains(mm),
            (0...60).contains(ss)
        else { return nil }
        // Days from civil (Howard Hinnant's algorithm).
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86400 + hh * 3600 + mm * 60 + ss
    }
}
