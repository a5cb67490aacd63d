import Foundation
import RasporedAPI
import Scheduler
import Synchronization
import Testing

@testable import Agent

/// The sampler's sums over a run's GPUs, and the drivers' libraries where a node has none. The reader below
/// stands for NVML or ROCm SMI, which need a GPU this machine has not.
@Suite struct RunSamplerTests {
    /// Answers each bus id with the next of its readings.
    final class Readings: GPUReader, Sendable {
        let queue: Mutex<[String: [GPUReading]]>
        init(_ readings: [String: [GPUReading]]) { queue = Mutex(readings) }
        func read(busId: String) -> GPUReading? {
            queue.withLock { q in q[busId]?.isEmpty == false ? q[busId]!.removeFirst() : nil }
        }
    }

    static func record(gpus: [Int]) -> JobRecord {
        JobRecord(
            jobId: "42", name: "train", command: ["true"], workingDirectory: "/", stdoutPath: "/dev/null",
            gpus: gpus, cpus: [], mems: [], startedAt: Date(), state: .running)
    }

    @Test func eachGPUsMeanIsOverItsSamplesAndItsMemoryPeakIsKept() throws {
        let reader = Readings([
            "0000:18:00.0": [
                GPUReading(utilization: 10, memoryUsedBytes: 5 << 30, powerWatts: 300),
                GPUReading(utilization: 30, memoryUsedBytes: 3 << 30, powerWatts: 400),
            ],
            "0000:2a:00.0": [GPUReading(utilization: 100), GPUReading(utilization: 0)],
        ])
        var sampler = RunSampler(busIds: [0: "0000:18:00.0", 1: "0000:2a:00.0", 2: "0000:3a:00.0"], reader: reader)
        let record = Self.record(gpus: [0, 1])
        _ = sampler.sample(record, at: Date(timeIntervalSince1970: 100))
        let sampled = sampler.sample(record, at: Date(timeIntervalSince1970: 130))
        let second = try #require(sampled)
        #expect(second.at == 130)
        let gpus = try #require(second.gpus)
        #expect(gpus.map(\.index) == [0, 1])
        #expect(gpus.map(\.utilization) == [30, 0])
        #expect(gpus.map(\.meanUtilization) == [20, 50])
        #expect(gpus[0].memoryUsedBytes == 3 << 30 && gpus[0].peakMemoryUsedBytes == 5 << 30)
        #expect(gpus[0].powerWatts == 400)
        #expect(gpus[1].memoryUsedBytes == nil && gpus[1].peakMemoryUsedBytes == nil)
        // No cgroup: no CPU or memory figures. A run gone from `keep` starts over.
        #expect(second.cpuSeconds == nil && second.memoryBytes == nil)
        sampler.keep([])
        let again = sampler.sample(record, at: Date())
        #expect(again == nil)
    }

    @Test func aNodeWithoutTheVendorsLibraryHasNoReader() {
        guard case .failure(let why) = DriverGPUReader.load(.nvidia, library: "/nonexistent/libnvidia-ml.so.1") else {
            Issue.record("a library that does not exist loaded")
            return
        }
        #expect(why.description == "cannot load /nonexistent/libnvidia-ml.so.1")
        // Without either vendor's driver (no /dev/nvidiactl, no /dev/kfd) neither library loads or initialises.
        for vendor in GPUVendor.allCases
        where !FileManager.default.fileExists(atPath: vendor == .nvidia ? "/dev/nvidiactl" : "/dev/kfd") {
            if case .success = DriverGPUReader.load(vendor) {
                Issue.record("\(vendor)'s library initialised on a machine without its GPUs")
            }
        }
    }
}
