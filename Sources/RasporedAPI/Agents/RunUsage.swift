import Scheduler

/// What a running run uses, as its agent samples it: from its cgroup (CPU time, memory) and from the GPU
/// driver's library (NVML, ROCm SMI) for each of its GPUs. Sent in heartbeats while the run runs.
public struct RunUsage: Hashable, Sendable, Codable {
    /// When the sample was taken, in seconds since the epoch.
    public var at: Double
    /// CPU time its processes used since it started, in seconds, and the CPUs it may use (its cpuset).
    public var cpuSeconds: Double?
    public var cpus: Int?
    /// Memory in use now and the most it used so far, in bytes.
    public var memoryBytes: UInt64?
    public var peakMemoryBytes: UInt64?
    /// Its GPUs, each as the driver reports it; absent where the node has no library to ask.
    public var gpus: [GPUUsage]?

    public init(
        at: Double, cpuSeconds: Double? = nil, cpus: Int? = nil, memoryBytes: UInt64? = nil,
        peakMemoryBytes: UInt64? = nil, gpus: [GPUUsage]? = nil
    ) {
        self.at = at
        self.cpuSeconds = cpuSeconds
        self.cpus = cpus
        self.memoryBytes = memoryBytes
        self.peakMemoryBytes = peakMemoryBytes
        self.gpus = gpus
    }
}
