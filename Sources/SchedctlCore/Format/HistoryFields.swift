import Foundation
import RasporedAPI
import Scheduler

/// A line of `schedctl history`: a job, or with `--runs` one of its runs (`run` set; a running job's
/// current run has none and reads from the job).
struct HistoryLine {
    var job: JobView
    var run: JobRun?
    /// The time of the answer, in milliseconds: a running job's elapsed time counts to it.
    var now: Int64

    /// "42", "42.1" for the run after the first requeue; "42_7" for an array task.
    var id: String {
        let base = job.displayId ?? "\(job.id)"
        let n = run?.run ?? (isCurrentRun ? job.requeueCount : 0)
        return n > 0 ? "\(base).\(n)" : base
    }

    /// A line for the job's run going now (with `--runs`), not for the whole job.
    var isCurrentRun = false

    var state: String { run?.outcome.rawValue ?? job.state.rawValue }
    var startMillis: Int64? { run?.startMillis ?? job.startMillis }
    var endMillis: Int64? { run.map(\.endMillis) ?? job.endMillis }

    /// Start to end, or to now while running; nil when it never started.
    var elapsedMillis: Int64? {
        guard let start = startMillis else { return nil }
        let end = endMillis ?? (job.state == .running ? now : start)
        return max(end - start, 0)
    }

    var gpus: Int {
        run?.gpus ?? job.allocation.map { $0.nodes.reduce(0) { $0 + $1.gpus.count } } ?? 0
    }

    var nodes: [String] { run?.nodes ?? job.allocation?.nodes.map(\.node) ?? [] }

    /// GPU-seconds: the run's, or the job's over all its runs (the controller's figure).
    var gpuSeconds: Double {
        if let run { return run.gpuSeconds }
        if isCurrentRun { return Double(gpus) * Double(elapsedMillis ?? 0) / 1000 }
        return job.gpuSeconds ?? 0
    }

    /// From submission to the first start.
    var waitMillis: Int64? {
        guard let first = job.runs?.first?.startMillis ?? job.startMillis else { return nil }
        return max(first - job.submitMillis, 0)
    }

    var exitCode: Int32? { run.map(\.exitCode) ?? job.exitCode }
    var signal: Int32? { run.map(\.signal) ?? job.signal }
    var cpuSeconds: Double? { run.map(\.cpuSeconds) ?? (isCurrentRun ? nil : job.cpuSeconds) }
    var peakMemoryBytes: UInt64? { run.map(\.peakMemoryBytes) ?? (isCurrentRun ? nil : job.peakMemoryBytes) }
    var reason: String? { run.map(\.reason) ?? job.endReason ?? job.pendingReason }

    /// Each GPU over the run: the run's, a running job's latest samples, or an ended job's last run's.
    var gpuUsage: [GPUUsage]? {
        if let run { return run.gpuUsage }
        if job.state == .running { return job.usage.map { $0.values.flatMap { $0.gpus ?? [] } } }
        return job.runs?.last?.gpuUsage
    }

    /// The mean over its GPUs of each GPU's mean utilisation (0 to 1).
    var gpuUtilization: Double? {
        guard let g = gpuUsage, !g.isEmpty else { return nil }
        return g.map(\.meanUtilization).reduce(0, +) / Double(g.count) / 100
    }

    /// The most device memory any of its GPUs held.
    var gpuPeakMemory: UInt64? { gpuUsage?.compactMap(\.peakMemoryUsedBytes).max() }

    /// CPU time over the CPUs allocated × elapsed (Slurm's seff "CPU Efficiency"), when both are known. The
    /// CPUs are the allocation's hardware threads on its first node, where the cgroup that measured the
    /// time was.
    var cpuEfficiency: Double? {
        guard let cpu = cpuSeconds, let ms = elapsedMillis, ms > 0,
            let cpus = job.allocation?.nodes.first?.cpus.count, cpus > 0
        else { return nil }
        return cpu / (Double(cpus) * Double(ms) / 1000)
    }

    /// Peak memory over the memory allocated on the first node (seff's "Memory Efficiency").
    var memoryEfficiency: Double? {
        guard let peak = peakMemoryBytes, let node = job.allocation?.nodes.first else { return nil }
        let allocated = node.memoryBytes.values.reduce(UInt64(0)) { $0 &+ $1 }
        guard allocated > 0 else { return nil }
        return Double(peak) / Double(allocated)
    }
}

/// The columns `schedctl history --format` picks from, by name (case-insensitive; sacct's names too).
struct HistoryField: Sendable {
    let name: String
    /// sacct's names for it, lower case.
    let aliases: [String]
    let header: String
    let help: String
    /// The cell in a table (for people) and in CSV (for programs: times ISO 8601 with offset, lengths in
    /// seconds, sizes in bytes, fractions 0 to 1).
    let table: @Sendable (HistoryLine) -> String
    let csv: @Sendable (HistoryLine) -> String

    static let all: [HistoryField] = [
        HistoryField(
            name: "id", aliases: ["jobid"], header: "ID", help: "job id; 42.1 is its run after a requeue",
            table: { $0.id }, csv: { $0.id }),
        HistoryField(
            name: "name", aliases: ["jobname"], header: "NAME", help: "job name", table: { $0.job.name },
            csv: { $0.job.name }),
        HistoryField(
            name: "user", aliases: [], header: "USER", help: "owner", table: { $0.job.user }, csv: { $0.job.user }),
        HistoryField(
            name: "account", aliases: [], header: "ACCOUNT", help: "account", table: { $0.job.account },
            csv: { $0.job.account }),
        HistoryField(
            name: "partition", aliases: [], header: "PARTITION", help: "partition", table: { $0.job.partition },
            csv: { $0.job.partition }),
        HistoryField(
            name: "state", aliases: [], header: "STATE", help: "state (a run's: how it ended, or requeued)",
            table: { $0.state }, csv: { $0.state }),
        HistoryField(
            name: "submit", aliases: [], header: "SUBMIT", help: "submitted",
            table: { localTime($0.job.submitTime) }, csv: { isoTime($0.job.submitMillis) }),
        HistoryField(
            name: "start", aliases: [], header: "START", help: "started (the last run's, or the run's)",
            table: { $0.startMillis.map { localTime(Timestamp(millis: $0).seconds) } ?? "-" },
            csv: { $0.startMillis.map(isoTime) ?? "" }),
        HistoryField(
            name: "end", aliases: [], header: "END", help: "ended",
            table: { $0.endMillis.map { localTime(Timestamp(millis: $0).seconds) } ?? "-" },
            csv: { $0.endMillis.map(isoTime) ?? "" }),
        HistoryField(
            name: "elapsed", aliases: [], header: "ELAPSED", help: "start to end, or to now while running",
            table: { $0.elapsedMillis.map { humanDuration($0 / 1000) } ?? "-" },
            csv: { $0.elapsedMillis.map(secondsText) ?? "" }),
        HistoryField(
            name: "wait", aliases: [], header: "WAIT", help: "submission to first start",
            table: { $0.waitMillis.map { humanDuration($0 / 1000) } ?? "-" },
            csv: { $0.waitMillis.map(secondsText) ?? "" }),
        HistoryField(
            name: "timelimit", aliases: [], header: "TIME LIMIT", help: "time limit in force",
            table: { humanDuration($0.job.timeLimit) }, csv: { "\($0.job.timeLimit)" }),
        HistoryField(
            name: "gpus", aliases: ["allocgpus", "ngpus"], header: "GPUS", help: "GPUs held",
            table: { "\($0.gpus)" }, csv: { "\($0.gpus)" }),
        HistoryField(
            name: "gpuhours", aliases: ["gpu-hours"], header: "GPU-HOURS",
            help: "GPUs × elapsed, every run of the job (its own with --runs)",
            table: { String(format: "%.2f", $0.gpuSeconds / 3600) },
            csv: { String(format: "%.4f", $0.gpuSeconds / 3600) }),
        HistoryField(
            name: "nodes", aliases: ["nodelist"], header: "NODES", help: "where it ran (the last run's)",
            table: { $0.nodes.isEmpty ? "-" : HostList.compact($0.nodes) },
            csv: { $0.nodes.isEmpty ? "" : HostList.compact($0.nodes) }),
        HistoryField(
            name: "exit", aliases: ["exitcode"], header: "EXIT", help: "exit code:signal, as sacct's",
            table: { exitText($0) }, csv: { exitText($0) }),
        HistoryField(
            name: "cputime", aliases: ["totalcpu"], header: "CPU TIME", help: "CPU time its cgroup counted",
            table: { $0.cpuSeconds.map { humanDuration(Int64($0.rounded())) } ?? "-" },
            csv: { $0.cpuSeconds.map { String(format: "%.3f", $0) } ?? "" }),
        HistoryField(
            name: "maxrss", aliases: ["peakmem"], header: "PEAK MEM", help: "peak memory its cgroup counted",
            table: { $0.peakMemoryBytes.map { ByteSize(bytes: $0).description } ?? "-" },
            csv: { $0.peakMemoryBytes.map { "\($0)" } ?? "" }),
        HistoryField(
            name: "cpueff", aliases: ["cpu-eff"], header: "CPU EFF",
            help: "CPU time over its CPUs × elapsed (first node)",
            table: { $0.cpuEfficiency.map(percentText) ?? "-" },
            csv: { $0.cpuEfficiency.map { String(format: "%.4f", $0) } ?? "" }),
        HistoryField(
            name: "memeff", aliases: ["mem-eff"], header: "MEM EFF",
            help: "peak memory over the memory allocated (first node)",
            table: { $0.memoryEfficiency.map(percentText) ?? "-" },
            csv: { $0.memoryEfficiency.map { String(format: "%.4f", $0) } ?? "" }),
        HistoryField(
            name: "gpuutil", aliases: ["gpu-util"], header: "GPU UTIL",
            help: "mean GPU utilisation over the run, over its GPUs (NVML or ROCm SMI samples)",
            table: { $0.gpuUtilization.map(percentText) ?? "-" },
            csv: { $0.gpuUtilization.map { String(format: "%.4f", $0) } ?? "" }),
        HistoryField(
            name: "gpumem", aliases: ["gpu-mem"], header: "GPU MEM", help: "the most device memory a GPU held",
            table: { $0.gpuPeakMemory.map { ByteSize(bytes: $0).description } ?? "-" },
            csv: { $0.gpuPeakMemory.map { "\($0)" } ?? "" }),
        HistoryField(
            name: "restarts", aliases: ["requeues"], header: "RESTARTS", help: "times requeued",
            table: { "\($0.job.requeueCount)" }, csv: { "\($0.job.requeueCount)" }),
        HistoryField(
            name: "reason", aliases: [], header: "REASON", help: "how it ended, in words",
            table: { $0.reason ?? "-" }, csv: { $0.reason ?? "" }),
    ]

    static let defaults = "id,user,account,state,submit,start,end,elapsed,gpus,gpuhours,nodes,exit"

    /// The fields `text` names (comma-separated), in order.
    static func parse(_ text: String) throws(HistoryFieldError) -> [HistoryField] {
        try text.split(separator: ",").map { (part) throws(HistoryFieldError) in
            let key = part.trimmingCharacters(in: .whitespaces).lowercased()
            guard let f = all.first(where: { $0.name == key || $0.aliases.contains(key) }) else {
                throw HistoryFieldError(name: String(part))
            }
            return f
        }
    }

    static func exitText(_ l: HistoryLine) -> String {
        guard l.exitCode != nil || l.signal != nil else { return "-" }
        return "\(l.exitCode ?? 0):\(l.signal ?? 0)"
    }

    static func secondsText(_ ms: Int64) -> String { TraceCSV.millisText(ms) }

    static func percentText(_ f: Double) -> String { String(format: "%.1f%%", f * 100) }

    /// A moment to the millisecond in ISO 8601 with the local offset: "2026-12-07T23:04:05.123+01:00".
    static func isoTime(_ millis: Int64) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = .current
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSxxx"
        return f.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}

/// A `--format` naming no known field.
struct HistoryFieldError: Error, CustomStringConvertible {
    var name: String
    var description: String {
        "unknown field '\(TerminalText.escaped(name))' (fields: \(HistoryField.all.map(\.name).joined(separator: ", ")), or trace)"
    }
}
