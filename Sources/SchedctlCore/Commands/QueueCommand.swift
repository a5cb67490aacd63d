import ArgumentParser
import Foundation
import RasporedAPI
import Scheduler

/// `schedctl queue`: pending and running jobs (yours, or everyone's for an admin).
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "List jobs: pending and running ones, or all with --all.",
        discussion: """
            A user sees their own jobs; an admin sees everyone's. An array's pending tasks that wait for the same \
            reason share one line, 42_[8-99%8], as in squeue; -r lists them one per line. Under the fairshare \
            policy pending jobs are listed in priority order (the order the scheduler offers them), with a \
            PRIORITY column; the last line names the policy.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only this user's jobs.") var user: String?
    @Option(help: "Only jobs in this state: \(JobState.allCases.map(\.rawValue).joined(separator: ", ")).")
    var state: String?
    @Flag(help: "Ended jobs too.") var all = false
    @Flag(name: [.customShort("r"), .customLong("array")], help: "One line per array task, pending ones too.")
    var eachTask = false
    @Flag(help: "Print the API's JSON ({\"jobs\": [...]}).") var json = false

    func run() async throws {
        let client = try connection.client()
        // Without --all, only the jobs that have not ended are fetched.
        let states = state.map { pathSegment($0) } ?? (all ? nil : "pending,running")
        // The table without -r shows an array's waiting tasks as one row: the controller collapses them.
        // The JSON lists every job.
        let collapse = !eachTask && !json
        var list = try await client.allJobs(
            (states.map { ["state=\($0)"] } ?? []) + (collapse ? ["collapse=true"] : []))
        list.jobs = list.jobs.filter { job in
            (user == nil || job.user == user) && (all || state != nil || !job.state.isFinal)
        }
        if json {
            try printJSON(list)
        } else {
            print(Self.text(list.jobs, now: nowEpoch(), eachTask: eachTask, policy: list.policy))
        }
    }

    /// The table; with `policy` (the controller's), pending jobs in the order it offers them, a PRIORITY column
    /// when that order is priority's, and a last line naming the policy.
    static func text(_ jobs: [JobView], now: Int64, eachTask: Bool = false, policy: String? = nil) -> String {
        if jobs.isEmpty { return "No jobs." }
        let byPriority = policy.flatMap(QueuePolicyName.init(rawValue:))?.usesPriority ?? false
        let ordered = byPriority ? priorityOrder(jobs) : jobs
        var header = ["ID", "USER", "NAME", "STATE", "GPUS", "NODES/REASON", "TIME", "EST START"]
        if byPriority { header.insert("PRIORITY", at: 4) }
        var t = Table(header: header)
        for (id, j) in eachTask ? ordered.map({ (JobText.id($0), $0) }) : collapsed(ordered) {
            var row = [
                id, j.user, JobText.clip(j.name, 24), j.state.rawValue, JobText.gpus(j),
                JobText.clip(JobText.nodesOrReason(j), 60), JobText.time(j, now: now), JobText.estimatedStart(j),
            ]
            if byPriority { row.insert(j.priority.map { JobText.number($0.total) } ?? "", at: 4) }
            t.add(row)
        }
        let rendered = t.render()
        guard let policy else { return rendered }
        return rendered + "\nQueue order: " + JobText.policy(policy)
    }

    /// Jobs that are not pending first (lowest id first), then pending ones as the scheduler offers them:
    /// highest priority first, then earlier submission, then lower id (the engine's `QueuePass.SortKey`).
    static func priorityOrder(_ jobs: [JobView]) -> [JobView] {
        let others = jobs.filter { $0.state != .pending }
        let pending = jobs.filter { $0.state == .pending }.sorted { a, b in
            let pa = a.priority?.total ?? 0, pb = b.priority?.total ?? 0
            if pa != pb { return pa > pb }
            return (a.submitTime, a.id) < (b.submitTime, b.id)
        }
        return others + pending
    }

    /// Rows with an array's consecutive pending tasks that wait for the same reason as one, `42_[8-99%8]`
    /// (the first task stands for them), as squeue shows them.
    static func collapsed(_ jobs: [JobView]) -> [(String, JobView)] {
        var out: [(String, JobView)] = []
        var i = 0
        while i < jobs.count {
            let j = jobs[i]
            var k = i + 1
            if j.state == .pending, let a = j.arrayJobId, j.arrayTaskId != nil {
                while k < jobs.count, jobs[k].state == .pending, jobs[k].arrayJobId == a,
                    jobs[k].arrayTaskId != nil, jobs[k].pendingReason == j.pendingReason
                {
                    k += 1
                }
            }
            // A view the controller collapsed stands for all of its tasks (`collapsedTasks`).
            func tasks(_ v: JobView) -> [Int] {
                v.collapsedTasks.flatMap { try? ArraySpec(parsing: $0).indices } ?? v.arrayTaskId.map { [$0] } ?? []
            }
            if k - i > 1 || j.collapsedTasks != nil, let a = j.arrayJobId {
                let tasks = jobs[i..<k].flatMap(tasks)
                let cap = j.array.flatMap { $0.contains("%") ? $0.split(separator: "%").last.map { "%\($0)" } : nil }
                let indices = (try? ArraySpec(indices: tasks).indicesText) ?? RangeList.compact(tasks)
                out.append(("\(a)_[\(indices)\(cap ?? "")]", j))
            } else {
                out.append((JobText.id(j), j))
            }
            i = k
        }
        return out
    }
}
