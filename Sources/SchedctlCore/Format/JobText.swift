import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// How jobs read in `queue` and `show`.
enum JobText {
    /// "42", or "42_7" for an array task.
    static func id(_ j: JobView) -> String { j.displayId ?? j.reference.description }

    /// "task 7 of array 42 (0-99%8, 100 tasks)"; nil for a job not in an array.
    static func array(_ j: JobView) -> String? {
        guard let a = j.arrayJobId, let t = j.arrayTaskId else { return nil }
        let n = j.arrayTaskCount.map { ", \($0) task\($0 == 1 ? "" : "s")" } ?? ""
        return "task \(t) of array \(a) (\(j.array ?? "?")\(n))"
    }

    /// The GPUs a job holds, or asks for while it has none.
    static func gpus(_ j: JobView) -> String {
        if let a = j.allocation { return "\(AllocationText.gpuCount(a))" }
        if let g = j.request.gpus { return "\(g)" }
        if let m = j.request.gpuMemory { return "\(m)" }
        if let per = j.request.gpusPerNode { return "\(per * (j.request.nodes ?? 1))" }
        return "0"
    }

    /// Where it runs, or why it waits, or how it ended.
    static func nodesOrReason(_ j: JobView) -> String {
        switch j.state {
        case .pending: return j.pendingReason ?? "waiting for a scheduling pass"
        case .running:
            let nodes = j.allocation.map { $0.nodes.map(\.node).joined(separator: ",") } ?? "-"
            if let s = j.stopRequested { return "\(nodes) (stopping: \(s))" }
            return j.gpusIdle == true ? "\(nodes) (GPUs idle)" : nodes
        default: return ended(j)
        }
    }

    static func ended(_ j: JobView) -> String {
        if let r = j.endReason { return r }
        if let s = j.signal { return "signal \(s)" }
        if let c = j.exitCode { return "exit \(c)" }
        return "-"
    }

    /// Running time, waiting time for pending jobs, or how long an ended job ran.
    static func time(_ j: JobView, now: Int64) -> String {
        switch j.state {
        case .pending: return humanDuration(now - j.submitTime)
        case .running: return j.startTime.map { humanDuration(now - $0) } ?? "-"
        default:
            guard let s = j.startTime, let e = j.endTime else { return "-" }
            return humanDuration(e - s)
        }
    }

    static func estimatedStart(_ j: JobView) -> String {
        guard j.state == .pending else { return "" }
        return j.estimatedStart.map(localTime) ?? "-"
    }

    /// A priority or one of its parts: whole above 100, else with up to two decimals ("10167", "5.95", "0").
    static func number(_ v: Double) -> String {
        if abs(v) >= 100 { return String(Int(v.rounded())) }
        let hundredths = (v * 100).rounded() / 100
        if hundredths == hundredths.rounded() { return String(Int(hundredths)) }
        return String(format: "%.2f", hundredths).replacingOccurrences(
            of: #"0$"#, with: "", options: .regularExpression)
    }

    /// How a policy orders the queue: "priority, highest first (policy fairshare, with backfill)".
    static func policy(_ name: String) -> String {
        switch QueuePolicyName(rawValue: name) {
        case .fifo?: "submission (policy fifo: every job that fits starts)"
        case .strictFIFO?: "submission (policy strict-fifo: nothing starts before the first job in line)"
        case .backfill?: "submission (policy backfill: a later job starts first only if it delays no reserved start)"
        case .fairshare?: "priority, highest first (policy fairshare, with backfill)"
        case nil: "policy \(name)"
        }
    }

    /// "10167 (age 0.5 + fair share 10000 + size 167 + partition 0); the queue is in priority order (policy
    /// fairshare)".
    static func priority(_ p: PriorityView) -> String {
        var parts =
            "age \(number(p.age)) + fair share \(number(p.fairShare)) + size \(number(p.size)) + partition "
            + number(p.partition)
        if p.nice != 0 { parts += " − nice \(number(p.nice))" }
        let order =
            p.ordersQueue
            ? "the queue is in priority order (policy \(p.policy))"
            : "not used: the queue is in submission order (policy \(p.policy))"
        return "\(number(p.total)) (\(parts)); \(order)"
    }

    static func clip(_ s: String, _ width: Int) -> String {
        s.count <= width ? s : String(s.prefix(width - 1)) + "…"
    }
}

/// A job named on the command line: its id (42) or an array task (42_7).
func parseJobReference(_ text: String) throws -> JobReference {
    do { return try JobReference(parsing: text) } catch { throw ValidationError(error.description) }
}
