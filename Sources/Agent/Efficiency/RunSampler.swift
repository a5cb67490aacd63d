import Foundation
import RasporedAPI
import Scheduler

/// Samples running runs: CPU time and memory from each run's cgroup, and its GPUs from the driver's library,
/// keeping per run what a report over the whole run needs (the mean of each GPU's samples, the peaks).
public struct RunSampler: Sendable {
    /// The node's GPUs' PCI bus ids, by index.
    public var busIds: [Int: String]
    public var reader: (any GPUReader)?
    private var runs: [String: Totals] = [:]

    private struct Totals: Sendable {
        var utilizationSum: [Int: Double] = [:]
        var samples: [Int: Int] = [:]
        var peakGPUMemory: [Int: UInt64] = [:]
        var peakMemory: UInt64 = 0
    }

    public init(busIds: [Int: String], reader: (any GPUReader)?) {
        self.busIds = busIds
        self.reader = reader
    }

    /// A sample of `record` (a running run) at `now`; nil for a run with neither a cgroup nor GPUs to read.
    public mutating func sample(_ record: JobRecord, at now: Date) -> RunUsage? {
        var usage = RunUsage(at: now.timeIntervalSince1970)
        var totals = runs[record.jobId] ?? Totals()
        if let cgroup = record.cgroup {
            let u = Confinement.usage(cgroup)
            usage.cpuSeconds = u.cpuSeconds
            usage.memoryBytes = u.memoryBytes
            totals.peakMemory = max(totals.peakMemory, u.peakMemoryBytes ?? 0, u.memoryBytes ?? 0)
            usage.peakMemoryBytes = totals.peakMemory > 0 ? totals.peakMemory : nil
            usage.cpus = record.cpus.isEmpty ? nil : record.cpus.count
        }
        if let reader, !record.gpus.isEmpty {
            var gpus: [GPUUsage] = []
            for index in record.gpus {
                guard let bus = busIds[index], let r = reader.read(busId: bus) else { continue }
                totals.utilizationSum[index, default: 0] += r.utilization
                totals.samples[index, default: 0] += 1
                if let m = r.memoryUsedBytes { totals.peakGPUMemory[index] = max(totals.peakGPUMemory[index] ?? 0, m) }
                gpus.append(
                    GPUUsage(
                        index: index, utilization: r.utilization,
                        meanUtilization: totals.utilizationSum[index]! / Double(totals.samples[index]!),
                        memoryUsedBytes: r.memoryUsedBytes, peakMemoryUsedBytes: totals.peakGPUMemory[index],
                        powerWatts: r.powerWatts))
            }
            if !gpus.isEmpty { usage.gpus = gpus }
        }
        runs[record.jobId] = totals
        guard record.cgroup != nil || usage.gpus != nil else { return nil }
        return usage
    }

    /// Forgets the runs not in `running`.
    public mutating func keep(_ running: Set<String>) {
        runs = runs.filter { running.contains($0.key) }
    }
}
