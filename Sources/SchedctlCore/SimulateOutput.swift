import Foundation
import Scheduler

/// One column of `schedctl simulate`'s output: a scenario under a policy.
struct SimulationColumn: Encodable {
    var scenario: String
    var policy: String
    var gpus: Int
    var report: SimulationReport
    /// For the HTML report's charts (not in JSON or CSV).
    var timeline: [Simulator.TimelinePoint] = []
    /// Seconds.
    var waits: [Double] = []

    /// Its `--jobs-out` rows, for a sweep's runs made in parallel and written in order after.
    var jobRows = ""

    enum CodingKeys: String, CodingKey { case scenario, policy, gpus, report }

    init(scenario: String, policy: String, run: Simulator.Run, jobRows: String = "") {
        self.jobRows = jobRows
        self.scenario = scenario
        self.policy = policy
        gpus = run.totalGPUs
        report = SimulationReport(run)
        timeline = run.timeline
        waits = run.outcomes.compactMap(\.wait).sorted()
    }
}

/// `schedctl simulate`'s outputs: the side-by-side table for people, JSON and CSV for tools.
enum SimulateOutput {
    /// The figures, one row each: a name and a cell per column (the text table and the HTML report).
    static func rows(_ columns: [SimulationColumn]) -> [(String, [String])] {
        var rows: [(String, (SimulationColumn) -> String)] = [
            ("GPUs", { "\($0.gpus)" }),
            ("jobs run / never fit", { "\($0.report.completed) / \($0.report.neverFits.values.reduce(0, +))" }),
            ("GPU utilisation", { String(format: "%.1f%%", $0.report.utilization * 100) }),
            ("wait mean", { hours($0.report.wait.mean) }),
            (
                "wait p50 / p95 / p99",
                {
                    "\(hours($0.report.wait.p50)) / \(hours($0.report.wait.p95)) / \(hours($0.report.wait.p99))"
                }
            ),
        ]
        for size in SimulationReport.sizeClasses {
            rows.append(("wait p95, \(size) GPU", { c in c.report.waitBySize[size].map { hours($0.p95) } ?? "-" }))
        }
        rows += [
            ("turnaround mean", { hours($0.report.meanTurnaround) }),
            ("bounded slowdown", { String(format: "%.2f", $0.report.meanBoundedSlowdown) }),
            ("throughput (jobs/h)", { String(format: "%.1f", $0.report.throughputPerHour) }),
            ("fragmentation-blocked GPU-h", { String(format: "%.1f", $0.report.fragmentationBlockedGPUHours) }),
            ("timed out", { "\($0.report.timedOut)" }),
            ("makespan", { hours($0.report.makespanSeconds) }),
        ]
        if columns.contains(where: { $0.report.backfilled > 0 }) {
            rows.append(("backfilled jobs", { "\($0.report.backfilled)" }))
        }
        if columns.contains(where: { $0.report.unavailableGPUHours > 0 }) {
            rows.append(("GPU-h down or in maintenance", { String(format: "%.1f", $0.report.unavailableGPUHours) }))
        }
        if columns.contains(where: { $0.report.preemptedRuns > 0 }) {
            rows.append(("runs preempted", { "\($0.report.preemptedRuns)" }))
        }
        if columns.contains(where: { $0.report.nodeFailures > 0 || $0.report.preemptedRuns > 0 }) {
            rows += [
                ("node failures / jobs rerun", { "\($0.report.nodeFailures) / \($0.report.interruptedJobs)" }),
                ("GPU-h lost (failures, preemption)", { String(format: "%.1f", $0.report.lostGPUHours) }),
            ]
        }
        return rows.map { name, value in (name, columns.map(value)) }
    }

    static func hours(_ s: Double) -> String {
        s < 60
            ? String(format: "%.0fs", s)
            : s < 3600 ? String(format: "%.1fm", s / 60) : String(format: "%.2fh", s / 3600)
    }

    static func table(_ columns: [SimulationColumn]) -> String {
        var header = [""]
        header += columns.map {
            columns.count > 1 && Set(columns.map(\.policy)).count > 1 ? "\($0.scenario) (\($0.policy))" : $0.scenario
        }
        var t = Table(header: header)
        for (name, cells) in rows(columns) { t.add([name] + cells) }
        var out = t.render()
        let accounts = Set(columns.flatMap { $0.report.accounts.map(\.name) }).sorted()
        if !accounts.isEmpty {
            var a = Table(header: ["account (GPU-h, mean wait)"] + Array(header.dropFirst()))
            for name in accounts {
                a.add(
                    [name]
                        + columns.map { c in
                            c.report.accounts.first { $0.name == name }.map {
                                String(format: "%.1f, %@", $0.gpuHours, hours($0.meanWait))
                            } ?? "-"
                        })
            }
            out += "\n\n" + a.render()
        }
        out += neverFit(columns)
        return out
    }

    /// The jobs that could never fit, by scenario: once per scenario when its policies agree (whether a job
    /// fits depends on the cluster and the accounts' limits, not on the queue policy), else once per policy.
    static func neverFit(_ columns: [SimulationColumn]) -> String {
        var out = ""
        var scenarios: [String] = []
        for c in columns where !scenarios.contains(c.scenario) { scenarios.append(c.scenario) }
        for scenario in scenarios {
            let those = columns.filter { $0.scenario == scenario && !$0.report.neverFits.isEmpty }
            guard let first = those.first else { continue }
            let alike =
                those.count == columns.filter { $0.scenario == scenario }.count
                && those.allSatisfy { $0.report.neverFits == first.report.neverFits }
            for c in alike ? [first] : those {
                out += "\n\nNever fit on \(scenario)" + (alike ? ":" : " (\(c.policy)):")
                for (reason, n) in c.report.neverFits.sorted(by: { $0.key < $1.key }) { out += "\n  \(n) × \(reason)" }
            }
        }
        return out
    }

    static func json(_ columns: [SimulationColumn]) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try e.encode(["runs": columns]), as: UTF8.self)
    }

    /// One row per scenario and policy, the key figures as columns.
    static func csv(_ columns: [SimulationColumn]) -> String {
        var lines = [
            "scenario,policy,gpus,jobs,completed,never_fit,utilization,wait_mean_s,wait_p50_s,wait_p95_s,wait_p99_s,"
                + "turnaround_mean_s,bounded_slowdown,throughput_per_hour,fragmentation_blocked_gpu_hours,timed_out,makespan_s,"
                + "backfilled,unavailable_gpu_hours,node_failures,jobs_rerun,lost_gpu_hours"
        ]
        for c in columns {
            let r = c.report
            let cells: [String] = [
                c.scenario, c.policy, "\(c.gpus)", "\(r.jobs)", "\(r.completed)", "\(r.neverFits.values.reduce(0, +))",
                String(format: "%.4f", r.utilization), String(format: "%.1f", r.wait.mean), seconds(r.wait.p50),
                seconds(r.wait.p95), seconds(r.wait.p99), String(format: "%.1f", r.meanTurnaround),
                String(format: "%.3f", r.meanBoundedSlowdown), String(format: "%.2f", r.throughputPerHour),
                String(format: "%.2f", r.fragmentationBlockedGPUHours), "\(r.timedOut)", seconds(r.makespanSeconds),
                "\(r.backfilled)", String(format: "%.2f", r.unavailableGPUHours), "\(r.nodeFailures)",
                "\(r.interruptedJobs)", String(format: "%.2f", r.lostGPUHours),
            ]
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n")
    }

    /// Seconds to the millisecond, as the trace format writes them ("12.5", "3600").
    static func seconds(_ s: Double) -> String { TraceCSV.millisText(Int64((s * 1000).rounded())) }
}
