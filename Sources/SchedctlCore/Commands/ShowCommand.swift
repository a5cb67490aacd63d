import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// `schedctl show JOB`: everything about one job, or about every task of an array.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one job: request, allocation, times, exit, why it waits.",
        discussion: "42_7 is task 7 of array 42; an array's id shows every task of the array, as scontrol does.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The job id, or an array task (42_7).", transform: parseJobReference) var job: JobReference
    @Flag(help: "Print the API's JSON (a JobView; a JobList for an array's id).") var json = false

    func run() async throws {
        let client = try connection.client()
        let view: JobView = try await client.get("/v1/jobs/\(job)")
        if case .job = job, view.isArrayHead, let a = view.arrayJobId {
            let tasks = try await client.allJobs(["array=\(a)"])
            if json {
                try printJSON(tasks)
            } else {
                print(tasks.jobs.map { Self.text($0, now: nowEpoch()) }.joined(separator: "\n\n"))
            }
            return
        }
        if json {
            try printJSON(view)
            return
        }
        print(Self.text(view, now: nowEpoch()))
        // A job that never ran has no steps; a controller without steps answers 404.
        if view.startTime != nil, let steps = try? await client.get("/v1/jobs/\(view.id)/steps", as: StepList.self),
            !steps.steps.isEmpty
        {
            print(StepText.table(steps.steps))
        }
    }

    static func text(_ j: JobView, now: Int64) -> String {
        var lines: [(String, String)] = [
            ("Job", "\(JobText.id(j)) (\(j.name))"), ("User", j.user), ("Account", j.account),
            ("Partition", j.partition),
            ("State", j.state.rawValue + (j.stopRequested.map { " (stop requested: \($0))" } ?? "")),
            ("Command", j.command.map(shellQuoted).joined(separator: " ")), ("Workdir", j.workdir),
        ]
        if let o = j.output { lines.append(("Output", o)) }
        if let n = j.environmentCount {
            lines.append(
                (
                    "Environment",
                    n == 0 ? "none exported" : "\(n) variable\(n == 1 ? "" : "s") exported (values not shown)"
                ))
        }
        if let a = JobText.array(j) {
            lines.append(("Array", a + (j.displayId != "\(j.id)" ? "; job id \(j.id)" : "")))
        }
        if let d = j.dependency { lines.append(("Dependency", d)) }
        if let c = j.controls {
            if let h = c.hold { lines.append(("Held", h == .admin ? "by an admin" : "by its owner")) }
            if let b = c.begin { lines.append(("Begins", "\(localTime(b)) (\(relative(b, now: now)))")) }
            if c.nice != 0 { lines.append(("Nice", "\(c.nice)")) }
            if let w = c.warning {
                lines.append(
                    (
                        "Warning",
                        "SIG\(SignalName.name(w.signal)) \(w.secondsBefore)s before the time limit"
                            + (w.batchOnly ? " (batch script only)" : "")
                    ))
            }
            if let g = c.killGrace { lines.append(("Kill grace", humanDuration(Int64(g)))) }
            if let e = c.error { lines.append(("Error", e)) }
            if c.openMode == .append { lines.append(("Open mode", "append")) }
            if let t = c.tasks {
                var text = t.perNode.map { "\($0) per node" } ?? "\(t.total ?? 1) in all"
                if let g = t.gpusPerTask { text += ", \(g) GPU(s) each" }
                if let k = t.coresPerTask { text += ", \(k) core(s) each" }
                lines.append(("Tasks", text))
            }
        }
        lines.append(("Request", requestText(j.request)))
        lines.append(("Time limit", humanDuration(j.timeLimit)))
        lines.append(("Submitted", "\(localTime(j.submitTime)) (\(relative(j.submitTime, now: now)))"))
        if let s = j.startTime { lines.append(("Started", "\(localTime(s)) (\(relative(s, now: now)))")) }
        if let e = j.endTime { lines.append(("Ended", "\(localTime(e)) (\(relative(e, now: now)))")) }
        switch j.state {
        case .pending:
            lines.append(("Waited", humanDuration(now - j.submitTime)))
            lines.append(("Pending reason", j.pendingReason ?? "waiting for a scheduling pass"))
            lines.append(
                (
                    "Estimated start",
                    j.estimatedStart.map { "\(localTime($0)) (\(relative($0, now: now)))" } ?? "unknown"
                ))
            if let p = j.priority { lines.append(("Priority", JobText.priority(p))) }
        case .running:
            if let s = j.startTime { lines.append(("Running for", humanDuration(now - s))) }
        default:
            if let s = j.startTime, let e = j.endTime { lines.append(("Ran for", humanDuration(e - s))) }
            if let c = j.exitCode { lines.append(("Exit code", "\(c)")) }
            if j.cpuSeconds != nil || j.peakMemoryBytes != nil {
                let cpu = j.cpuSeconds.map { "CPU time \(humanDuration(Int64($0.rounded())))" }
                let memory = j.peakMemoryBytes.map { "peak memory \(ByteSize(bytes: $0))" }
                lines.append(("Used", [cpu, memory].compactMap { $0 }.joined(separator: ", ")))
            }
            if let s = j.signal { lines.append(("Signal", "\(s)")) }
            if let r = j.endReason { lines.append(("End reason", r)) }
        }
        lines += EfficiencyText.lines(j, now: Double(now))
        if j.requeueCount > 0 { lines.append(("Requeued", "\(j.requeueCount) time(s)")) }
        lines.append(("Requeue", j.noRequeue ? "no (fails if its node is lost)" : "yes, if its node is lost"))
        let width = lines.map(\.0.count).max() ?? 0
        // Values are escaped: a name or an argument with a newline or a terminal escape shows as written.
        var out = lines.map {
            $0.0 + ":" + String(repeating: " ", count: width - $0.0.count + 1) + TerminalText.escaped($0.1)
        }
        if let a = j.allocation {
            out.append("Allocation:")
            out.append(AllocationText.table(a))
        }
        return out.joined(separator: "\n")
    }

    static func requestText(_ r: ResourceRequest) -> String {
        var parts: [String] = []
        if let g = r.gpus { parts.append("\(g) GPU\(g == 1 ? "" : "s")") }
        if let m = r.gpuMemory { parts.append("\(m) GPU memory") }
        if let m = r.gpuModel { parts.append("model \(m)") }
        if let m = r.minGpuMemory { parts.append("≥ \(m) per GPU") }
        if let c = r.cpus { parts.append("\(c) cores") }
        if let m = r.memory { parts.append("\(m) memory") }
        if let s = r.scratch { parts.append("\(s) scratch") }
        if let s = r.storage { parts.append("\(s) storage") }
        if let n = r.nodes { parts.append("\(n) node\(n == 1 ? "" : "s")") }
        if let p = r.gpusPerNode { parts.append("\(p) GPUs per node") }
        if r.exclusive { parts.append("exclusive") }
        if r.sameNuma { parts.append("same NUMA") }
        if let t = r.time { parts.append("time \(t)") }
        return parts.isEmpty ? "defaults" : parts.joined(separator: ", ")
    }
}

/// A word as a shell would need it written.
func shellQuoted(_ s: String) -> String {
    let plain = s.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
    return plain && !s.isEmpty ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
