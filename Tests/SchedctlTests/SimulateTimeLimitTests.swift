import Foundation
import Scheduler
import Testing

@testable import SchedctlCore

/// The time limits `schedctl simulate` gives jobs a workload leaves without one.
@Suite struct SimulateTimeLimitTests {
    func platform() throws -> ClusterSpec {
        try ClusterSpec.load(file: CLI.root.appendingPathComponent("cluster.yaml").path)
    }

    func workload() -> Workload {
        Workload(
            jobs: [
                TraceJob(id: "even", submit: 0, duration: 1000, request: ResourceRequest(gpus: 1)),
                TraceJob(id: "odd", submit: 1, duration: 1001, request: ResourceRequest(gpus: 1)),
                TraceJob(
                    id: "given", submit: 2, duration: 1000,
                    request: ResourceRequest(gpus: 1, time: TimeSpan(seconds: 7200))),
                TraceJob(id: "week", submit: 3, duration: 5 * 86_400, request: ResourceRequest(gpus: 1)),
                TraceJob(
                    id: "short", submit: 4, duration: 3 * 3600,
                    request: ResourceRequest(gpus: 1, partition: "interactive")),
            ], provenance: "test")
    }

    @Test func withoutAFactorAJobGetsItsPartitionsMaximum() throws {
        let jobs = SimulateCommand.simulated(workload(), spec: try platform())
        // cluster.yaml: gpu (the default) allows 7 days, interactive 4 hours; the trace's own limit stands.
        let week: Int64 = 7 * 86_400
        let expected: [Int64] = [week, week, 7200, week, 4 * 3600]
        #expect(jobs.map(\.timeLimit) == expected)
    }

    @Test func aFactorGivesRunTimesTimesItRoundedUpToAMinuteAtMostThePartitionsMaximum() throws {
        let jobs = SimulateCommand.simulated(workload(), spec: try platform(), limitFactor: 1.5)
        // 1000 × 1.5 = 1500 s (25 min); 1001 × 1.5 = 1501.5 s → 26 min; the trace's 2 h stands; 7.5 days is cut
        // to the gpu partition's 7; 4.5 hours to the interactive partition's 4.
        let limits: [Int64] = [1500, 1560, 7200, 7 * 86_400, 4 * 3600]
        let durations: [Int64] = [1000, 1001, 1000, 5 * 86_400, 3 * 3600]
        #expect(jobs.map(\.timeLimit) == limits)
        #expect(jobs.map(\.durationMillis) == durations.map { $0 * 1000 })
    }

    @Test func aFactorBelowOneIsRefused() throws {
        let r = try CLI.run(["simulate", "--generate", "10", "--time-limit-factor", "0.5"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--time-limit-factor takes a factor of at least 1"))
        let ok = try CLI.run([
            "simulate", "--generate", "200", "--time-limit-factor", "2", "--policy", "backfill", "--json",
        ])
        #expect(ok.status == 0, "\(ok.stderr)")
    }
}
