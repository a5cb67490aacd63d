import Foundation
import Scheduler

/// `schedctl simulate --jobs-out FILE.csv`: one row per job and run (scenario and policy), written as each
/// run ends: `scenario,policy,id,submit,start,end,outcome,placement`. Times are seconds from the trace's
/// start to the millisecond (start and end empty for a job that never ran); `id` is the trace's own; the
/// outcome is a `SimulatedOutcome.Kind`; the placement is `PlacementText` (`dgx01:0-3;dgx02:0-3`).
struct SimulateJobsOut {
    static let header = "scenario,policy,id,submit,start,end,outcome,placement"

    let path: String
    private let handle: FileHandle

    /// Creates (or empties) `path` and writes the header.
    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data((Self.header + "\n").utf8)),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw CLIError("--jobs-out: cannot write \(path)") }
        self.path = path
        self.handle = handle
        handle.seekToEndOfFile()
    }

    /// The rows of one run: `ids[i]` names the i-th job of the run.
    static func rows(scenario: String, policy: String, ids: [String], outcomes: SimulatedOutcomes) -> String {
        var out = ""
        for (id, o) in zip(ids, outcomes) {
            let fields = [
                TraceCSV.quote(scenario), TraceCSV.quote(policy), TraceCSV.quote(id),
                TraceCSV.millisText(o.submitMillis),
                o.startMillis.map(TraceCSV.millisText) ?? "", o.endMillis.map(TraceCSV.millisText) ?? "",
                o.kind.rawValue, o.placement.map { TraceCSV.quote($0) } ?? "",
            ]
            out += fields.joined(separator: ",") + "\n"
        }
        return out
    }

    func write(scenario: String, policy: String, ids: [String], outcomes: SimulatedOutcomes) throws {
        try write(rows: Self.rows(scenario: scenario, policy: policy, ids: ids, outcomes: outcomes))
    }

    func write(rows: String) throws {
        do { try handle.write(contentsOf: Data(rows.utf8)) } catch {
            throw CLIError("--jobs-out: cannot write \(path): \(error.localizedDescription)")
        }
    }
}
