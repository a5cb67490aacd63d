import Foundation
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// What running jobs use, as agents report it in heartbeats: shown with the job, idle GPUs flagged, and each
/// GPU's figures kept in the run's record. The samples stand for a GPU's driver (NVML, ROCm SMI), which this
/// machine has not.
@Suite struct EfficiencyTests {
    static let base = t0 * 1000

    static func sample(at seconds: Double, gpus: [(Int, Double)], cpu: Double = 100) -> RunUsage {
        RunUsage(
            at: Double(t0) + seconds, cpuSeconds: cpu, cpus: 8, memoryBytes: 4 << 30, peakMemoryBytes: 6 << 30,
            gpus: gpus.map {
                GPUUsage(
                    index: $0.0, utilization: $0.1, meanUtilization: $0.1, memoryUsedBytes: 10 << 30,
                    peakMemoryUsedBytes: 12 << 30, powerWatts: 120)
            })
    }

    @Test func samplesShowWithTheJobIdleGPUsAreFlaggedAndTheRunKeepsItsGPUs() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("raspored-eff-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = MillisClock(Self.base)
        var settings = noAgents
        settings.idleGPUUtilization = 5
        settings.idleGPUAfterSeconds = 600
        let core = try ControllerCore(
            spec: try platformSpec(), store: try StateStore(directory: dir, create: true), settings: settings,
            logger: quietLogger, millisClock: clock.read)
        let job = try await core.submit(submit(gpus: 2), by: ana)
        let node = try #require(job.allocation?.nodes.first?.node)
        let gpus = try #require(job.allocation?.nodes.first?.gpus)
        let run = RunId.make(job: job.id, attempt: 0)
        func report(_ usage: RunUsage, from n: String? = nil) async {
            await core.apply([RunStatus(runId: run, phase: .running, usage: usage)], from: n ?? node)
        }
        // Busy: shown, not idle.
        clock.set(Self.base + 60_000)
        await report(Self.sample(at: 60, gpus: [(gpus[0], 90), (gpus[1], 80)]))
        var v = try await core.job(job.id, by: ana)
        #expect(v.usage?[node]?.gpus?.map(\.utilization) == [90, 80])
        #expect(v.usage?[node]?.cpuSeconds == 100)
        #expect(v.gpusIdleSince == nil && v.gpusIdle == nil)
        // A sample from a node the job is not on is not taken.
        await report(Self.sample(at: 61, gpus: [(0, 1)]), from: node == "dgx06" ? "dgx05" : "dgx06")
        #expect(try await core.job(job.id, by: ana).usage?.keys.sorted() == [node])
        // Both GPUs under 5 % from 120 s: idle since then, flagged 600 s later.
        clock.set(Self.base + 120_000)
        await report(Self.sample(at: 120, gpus: [(gpus[0], 2), (gpus[1], 4.9)]))
        v = try await core.job(job.id, by: ana)
        #expect(v.gpusIdleSince == Double(t0) + 120)
        #expect(v.gpusIdle == false)
        clock.set(Self.base + 719_000)
        await report(Self.sample(at: 719, gpus: [(gpus[0], 0), (gpus[1], 0)]))
        #expect(try await core.job(job.id, by: ana).gpusIdle == false)
        clock.set(Self.base + 720_000)
        #expect(try await core.job(job.id, by: ana).gpusIdle == true)
        let metrics = try await core.metricsText()
        #expect(metrics.contains("raspored_idle_gpu_jobs 1"))
        #expect(metrics.contains("raspored_idle_gpus 2"))
        // One busy GPU ends it.
        clock.set(Self.base + 730_000)
        await report(Self.sample(at: 730, gpus: [(gpus[0], 0), (gpus[1], 50)]))
        v = try await core.job(job.id, by: ana)
        #expect(v.gpusIdleSince == nil && v.gpusIdle == nil)
        #expect(try await core.metricsText().contains("raspored_idle_gpu_jobs 0"))
        // The run ends: its GPUs' last figures stay with its record, and the samples go.
        clock.set(Self.base + 800_000)
        await core.apply(
            [RunStatus(runId: run, phase: .completed, exitCode: 0, endedAt: Double(t0) + 799)], from: node)
        let ended = try await core.job(job.id, by: ana)
        #expect(ended.state == .completed)
        #expect(ended.usage == nil)
        let runs = try #require(ended.runs)
        #expect(runs.count == 1)
        #expect(runs[0].gpuUsage?.map(\.utilization) == [0, 50])
        #expect(runs[0].gpuUsage?.allSatisfy { $0.peakMemoryUsedBytes == 12 << 30 } == true)
    }

    @Test func theHookRunsOnceForAJobNewlyFlaggedWithTheJobInItsEnvironment() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("raspored-hook-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let hook = dir + "/tell-owner"
        let calls = dir + "/calls"
        try
            "#!/bin/sh\necho \"$RASPORED_JOB_ID $RASPORED_JOB_USER $RASPORED_GPUS $RASPORED_IDLE_SECONDS\" >> \(calls)\n"
            .write(toFile: hook, atomically: true, encoding: .utf8)
        chmod(hook, 0o755)
        let clock = MillisClock(Self.base)
        var settings = noAgents
        settings.idleGPUAfterSeconds = 600
        settings.idleGPUHook = hook
        let core = try ControllerCore(
            spec: try platformSpec(), store: try StateStore(directory: dir + "/state", create: true),
            settings: settings,
            logger: quietLogger, millisClock: clock.read)
        let job = try await core.submit(submit(gpus: 2), by: ana)
        let node = try #require(job.allocation?.nodes.first?.node)
        let gpus = try #require(job.allocation?.nodes.first?.gpus)
        await core.apply(
            [
                RunStatus(
                    runId: RunId.make(job: job.id, attempt: 0), phase: .running,
                    usage: Self.sample(at: 0, gpus: [(gpus[0], 0), (gpus[1], 1)]))
            ], from: node)
        // Not yet: idle 599 s.
        clock.set(Self.base + 599_000)
        await core.sweep()
        clock.set(Self.base + 700_000)
        await core.sweep()
        await core.sweep()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !FileManager.default.fileExists(atPath: calls) {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(300))
        let text = try String(contentsOfFile: calls, encoding: .utf8)
        #expect(text == "\(job.id) ana 2 700\n")
    }

    @Test func anAgentsFiguresAreCheckedBeforeTheyAreKept() throws {
        var u = Self.sample(at: 10, gpus: [(0, 50), (1, 200), (7, 10)])
        u.cpuSeconds = -.infinity
        u.gpus![0].powerWatts = .nan
        let checked = try #require(ControllerCore.checked(u, gpus: [0, 1]))
        // GPU 1's 200 % and GPU 7 (not the run's) are dropped; a power that is no number is left out.
        #expect(checked.gpus?.map(\.index) == [0])
        #expect(checked.gpus?[0].powerWatts == nil)
        #expect(checked.cpuSeconds == nil)
        #expect(checked.memoryBytes == 4 << 30)
        u.at = 1e300
        #expect(ControllerCore.checked(u, gpus: [0, 1]) == nil)
    }

    @Test func aJobWhoseGPUsCannotBeReadIsNeverIdle() async throws {
        try await withCore { core, _, _ in
            let job = try await core.submit(submit(gpus: 1), by: ana)
            let node = try #require(job.allocation?.nodes.first?.node)
            var usage = Self.sample(at: 0, gpus: [])
            usage.gpus = nil
            await core.apply(
                [RunStatus(runId: RunId.make(job: job.id, attempt: 0), phase: .running, usage: usage)], from: node)
            let v = try await core.job(job.id, by: ana)
            #expect(v.usage?[node]?.memoryBytes == 4 << 30)
            #expect(v.gpusIdleSince == nil)
        }
    }
}
