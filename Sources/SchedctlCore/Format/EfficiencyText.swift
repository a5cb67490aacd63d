import Foundation
import RasporedAPI
import Scheduler

/// How well a job uses what it holds, in words for `schedctl show` (as Slurm's seff and Princeton's jobstats
/// put it): CPU time over its CPUs × elapsed, memory against its allocation, each GPU's utilisation and memory
/// over the run and lately.
enum EfficiencyText {
    /// Lines (label, text) for `j` at `now` (seconds since the epoch).
    static func lines(_ j: JobView, now: Double) -> [(String, String)] {
        var out: [(String, String)] = []
        let allocated = j.allocation.map { a in
            Dictionary(
                a.nodes.map { n in
                    (n.node, (cpus: n.cpus.count, memory: n.memoryBytes.values.reduce(UInt64(0)) { $0 &+ $1 }))
                }, uniquingKeysWith: { a, _ in a })
        }
        if j.state == .running, let usage = j.usage, let start = j.startMillis {
            for (node, u) in usage.sorted(by: { $0.key < $1.key }) {
                let label = usage.count > 1 ? "Efficiency (\(node))" : "Efficiency"
                var parts: [String] = []
                let elapsed = u.at - Double(start) / 1000
                if let cpu = u.cpuSeconds, let cpus = u.cpus ?? allocated?[node]?.cpus, cpus > 0, elapsed > 0 {
                    parts.append(
                        "CPU \(percent(cpu / (Double(cpus) * elapsed))) of \(cpus) CPUs over the run")
                }
                if let m = u.memoryBytes {
                    var text = "memory \(ByteSize(bytes: m)) now"
                    if let p = u.peakMemoryBytes { text += ", peak \(ByteSize(bytes: p))" }
                    if let a = allocated?[node]?.memory, a > 0 { text += " of \(ByteSize(bytes: a))" }
                    parts.append(text)
                }
                parts.append("sampled \(relative(Int64(u.at), now: Int64(now)))")
                out.append((label, parts.joined(separator: ", ")))
                for g in u.gpus ?? [] { out.append(("GPU \(g.index)" + (usage.count > 1 ? " (\(node))" : ""), gpu(g))) }
            }
            if let since = j.gpusIdleSince {
                let text =
                    "every GPU idle since \(localTime(Int64(since))) (\(humanDuration(Int64(now - since))))"
                    + (j.gpusIdle == true ? ": flagged as holding idle GPUs" : "")
                out.append(("GPUs idle", text))
            }
        } else if j.state.isFinal, let start = j.startMillis, let end = j.endMillis, end > start {
            let line = HistoryLine(job: j, now: Int64(now * 1000))
            var parts: [String] = []
            if let e = line.cpuEfficiency { parts.append("CPU \(percent(e)) of its CPUs over the run") }
            if let p = j.peakMemoryBytes {
                var text = "peak memory \(ByteSize(bytes: p))"
                if let e = line.memoryEfficiency { text += " (\(percent(e)) of its allocation)" }
                parts.append(text)
            }
            if !parts.isEmpty { out.append(("Efficiency", parts.joined(separator: ", "))) }
            for g in j.runs?.last?.gpuUsage ?? [] { out.append(("GPU \(g.index)", gpu(g))) }
        }
        return out
    }

    static func gpu(_ g: GPUUsage) -> String {
        var text = "\(percent(g.utilization / 100)) busy lately, \(percent(g.meanUtilization / 100)) over the run"
        if let m = g.memoryUsedBytes {
            text += ", memory \(ByteSize(bytes: m))"
            if let p = g.peakMemoryUsedBytes { text += " (peak \(ByteSize(bytes: p)))" }
        }
        if let w = g.powerWatts { text += ", \(Int(w.rounded())) W" }
        return text
    }

    static func percent(_ f: Double) -> String { String(format: "%.0f%%", f * 100) }
}
