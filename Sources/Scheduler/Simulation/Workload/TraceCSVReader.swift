import Foundation

extension TraceCSV {
    /// Reads a trace in the project's format from a file.
    public static func read(path: String) throws(ConfigError) -> Workload {
        let (text, name) = try Workload.readTrace(path: path)
        return try parse(text, file: name)
    }

    /// Reads trace text; errors name `file` and the line, e.g. "trace.csv:17: gpus: 'x' is not a whole number".
    public static func parse(_ text: String, file: String = "trace.csv") throws(ConfigError) -> Workload {
        let csv = try CSVRecords(text, file: file)
        let col = try csv.columns(
            required: required, optional: baseColumns.filter { !required.contains($0) } + extraColumns,
            allowOthers: false)
        var jobs: [TraceJob] = []
        jobs.reserveCapacity(csv.records.count)
        var firstLine: [String: Int] = [:]
        for record in csv.records {
            let row = TraceRow(record: record, columns: col, csv: csv)
            let job = try row.job()
            if let earlier = firstLine[job.id] {
                throw csv.error(line: record.line, path: "id", "duplicate '\(job.id)' (first on line \(earlier))")
            }
            firstLine[job.id] = record.line
            jobs.append(job)
        }
        return Workload(jobs: jobs, provenance: "trace \(file) (project CSV format), \(jobs.count) jobs")
    }
}

/// One record of a trace, read field by field with errors that name the line and the column.
private struct TraceRow {
    var record: CSVRecords.Record
    var columns: [String: Int]
    var csv: CSVRecords

    func fail(_ column: String, _ message: String) -> ConfigError {
        csv.error(line: record.line, path: column, message)
    }

    /// The field's text; nil when empty or the column is absent.
    func text(_ column: String) -> String? {
        let s = record.field(columns[column])
        return s.isEmpty ? nil : s
    }

    func job() throws(ConfigError) -> TraceJob {
        guard record.fields.count == csv.header.count else {
            throw csv.error(
                line: record.line,
                "expected \(csv.header.count) fields (as the header has), found \(record.fields.count)")
        }
        guard let id = text("id") else { throw fail("id", "every job needs an id") }
        guard let submit = try seconds("submit") else { throw fail("submit", "every job needs a submit time") }
        guard let duration = try seconds("duration") else { throw fail("duration", "every job needs a duration") }
        var r = ResourceRequest()
        if let limit = try seconds("time_limit") {
            guard limit == limit.rounded(), limit > 0 else {
                throw fail(
                    "time_limit",
                    "a time limit must be a whole number of seconds more than 0, not \(text("time_limit")!)")
            }
            r.time = TimeSpan(seconds: Int64(limit))
        }
        r.gpus = try count("gpus")
        r.gpuMemory = try size("gpu_memory")
        if r.gpus != nil && r.gpuMemory != nil { throw fail("gpu_memory", "give either gpus or gpu_memory, not both") }
        r.gpuModel = text("gpu_model")
        r.cpus = try count("cpus")
        r.memory = try size("memory")
        r.nodes = try count("nodes", atLeast: 1)
        r.account = text("account")
        r.partition = text("partition")
        r.minGpuMemory = try size("min_gpu_memory")
        r.gpusPerNode = try count("gpus_per_node", atLeast: 1)
        r.scratch = try size("scratch")
        r.storage = try size("storage")
        r.exclusive = try flag("exclusive")
        r.sameNuma = try flag("same_numa")
        let hold = try seconds("hold")
        if let hold, hold > TraceJob.longestHold {
            throw fail("hold", "at most an hour (\(Int(TraceJob.longestHold)) s), not \(text("hold")!)")
        }
        return TraceJob(id: id, submit: submit, duration: duration, request: r, user: text("user"), hold: hold)
    }

    /// Seconds as a bare number, or time text such as "4h", "1d12h", "01:30:00".
    func seconds(_ column: String) throws(ConfigError) -> Double? {
        guard let s = text(column) else { return nil }
        if s.hasPrefix("-") { throw fail(column, "must not be negative ('\(s)')") }
        if let v = Double(s), v.isFinite {
            guard v <= TraceJob.longestTime else {
                throw fail(column, "at most 100 years (\(TimeSpan.longestParsed) s), not \(s)")
            }
            return v
        }
        if s.first?.isNumber == true, let span = TimeSpan(parsing: s) { return Double(span.seconds) }
        if TimeSpan.isTooLong(s) { throw fail(column, "at most 100 years (\(TimeSpan.longestParsed) s), not '\(s)'") }
        throw fail(column, "'\(s)' is not a time (seconds, or text such as 90s, 4h, 1d12h, 01:30:00)")
    }

    func count(_ column: String, atLeast minimum: Int = 0) throws(ConfigError) -> Int? {
        guard let s = text(column) else { return nil }
        guard let v = Int(s) else { throw fail(column, "'\(s)' is not a whole number") }
        guard v >= minimum else {
            throw fail(column, minimum == 0 ? "must not be negative (\(v))" : "must be at least \(minimum), not \(v)")
        }
        return v
    }

    func size(_ column: String) throws(ConfigError) -> ByteSize? {
        guard let s = text(column) else { return nil }
        if s.hasPrefix("-") { throw fail(column, "a size must not be negative ('\(s)')") }
        guard let v = ByteSize(parsing: s) else { throw fail(column, "'\(s)' is not a size such as 80GiB or 141GB") }
        return v
    }

    func flag(_ column: String) throws(ConfigError) -> Bool {
        guard let s = text(column) else { return false }
        switch s.lowercased() {
        case "true", "yes": return true
        case "false", "no": return false
        default: throw fail(column, "'\(s)' is not true or false")
        }
    }
}
