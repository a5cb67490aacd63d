import Foundation
import RasporedAPI
import Testing

@testable import SchedctlCore
@testable import Scheduler

/// `schedctl show`'s efficiency lines, from a job's samples and its ended run.
@Suite struct EfficiencyTextTests {
    static func job(_ state: JobState) -> JobView {
        var j = Job(
            id: 9, name: "train", user: "ana", account: "ivi", partition: "gpu", request: ResourceRequest(gpus: 2),
            timeLimit: .hours(2), state: state, submitted: .seconds(1_000), started: .seconds(1_000),
            ended: state == .running ? nil : .seconds(2_000), command: ["x"], workdir: "/")
        j.allocation = AllocationView(
            nodes: [
                NodeAllocationView(
                    node: "dgx01", gpus: [2, 3], cores: [0], cpus: Array(0..<8), numa: [0],
                    memoryBytes: ["0": 64 << 30], nics: [], scratchBytes: 0, exclusive: false)
            ], gpuModel: "H200", sharedStorageBytes: 0)
        return JobView(j)
    }

    @Test func aRunningJobShowsCPUMemoryAndEachGPUAndIdleness() {
        var j = Self.job(.running)
        // 2,000 CPU-seconds in 500 s on 8 CPUs: 50 %.
        j.usage = [
            "dgx01": RunUsage(
                at: 1_500, cpuSeconds: 2_000, cpus: 8, memoryBytes: 16 << 30, peakMemoryBytes: 20 << 30,
                gpus: [
                    GPUUsage(
                        index: 2, utilization: 1, meanUtilization: 40, memoryUsedBytes: 30 << 30,
                        peakMemoryUsedBytes: 60 << 30, powerWatts: 101.4)
                ])
        ]
        j.gpusIdleSince = 1_200
        j.gpusIdle = false
        let lines = EfficiencyText.lines(j, now: 1_510)
        #expect(lines.map(\.0) == ["Efficiency", "GPU 2", "GPUs idle"])
        #expect(lines[0].1.hasPrefix("CPU 50% of 8 CPUs over the run, memory 16 GiB now, peak 20 GiB of 64 GiB"))
        #expect(lines[1].1 == "1% busy lately, 40% over the run, memory 30 GiB (peak 60 GiB), 101 W")
        #expect(lines[2].1.hasSuffix("(5m10s)"))
        j.gpusIdle = true
        #expect(EfficiencyText.lines(j, now: 1_510)[2].1.hasSuffix(": flagged as holding idle GPUs"))
    }

    @Test func anEndedJobShowsItsEfficiencyAndItsLastRunsGPUs() {
        var j = Self.job(.completed)
        // 4,000 CPU-seconds in 1,000 s on 8 CPUs: 50 %; 16 GiB of 64 GiB: 25 %.
        j.cpuSeconds = 4_000
        j.peakMemoryBytes = 16 << 30
        j.runs = [
            JobRun(
                jobId: 9, run: 0, user: "ana", account: "ivi", partition: "gpu", gpus: 2, gpuModel: "H200",
                nodes: ["dgx01"], submitMillis: 1_000_000, startMillis: 1_000_000, endMillis: 2_000_000,
                outcome: .completed)
        ]
        j.runs![0].gpuUsage = [GPUUsage(index: 3, utilization: 90, meanUtilization: 85)]
        let lines = EfficiencyText.lines(j, now: 3_000)
        #expect(lines.map(\.0) == ["Efficiency", "GPU 3"])
        #expect(lines[0].1 == "CPU 50% of its CPUs over the run, peak memory 16 GiB (25% of its allocation)")
        #expect(lines[1].1 == "90% busy lately, 85% over the run")
    }
}
