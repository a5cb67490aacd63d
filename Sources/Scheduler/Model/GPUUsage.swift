/// One GPU of a run, sampled: how busy it was lately and over the run, its memory and power.
public struct GPUUsage: Hashable, Sendable, Codable {
    /// The GPU's index on its node (PCI bus order).
    public var index: Int
    /// Percent of time a kernel ran over the driver's last sample period (0 to 100), and the mean of every
    /// sample since the run started.
    public var utilization: Double
    public var meanUtilization: Double
    /// Device memory in use now and the most seen, in bytes.
    public var memoryUsedBytes: UInt64?
    public var peakMemoryUsedBytes: UInt64?
    /// Power drawn now, in watts.
    public var powerWatts: Double?

    public init(
        index: Int, utilization: Double, meanUtilization: Double, memoryUsedBytes: UInt64? = nil,
        peakMemoryUsedBytes: UInt64? = nil, powerWatts: Double? = nil
    ) {
        self.index = index
        self.utilization = utilization
        self.meanUtilization = meanUtilization
        self.memoryUsedBytes = memoryUsedBytes
        self.peakMemoryUsedBytes = peakMemoryUsedBytes
        self.powerWatts = powerWatts
    }
}
