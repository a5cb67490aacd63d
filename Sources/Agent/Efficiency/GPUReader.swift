import CAgentShims
import RasporedAPI

/// One GPU as its driver's library reports it now.
public struct GPUReading: Sendable, Hashable {
    /// Percent of the last sample period a kernel ran (0 to 100).
    public var utilization: Double
    public var memoryUsedBytes: UInt64?
    public var powerWatts: Double?

    public init(utilization: Double, memoryUsedBytes: UInt64? = nil, powerWatts: Double? = nil) {
        self.utilization = utilization
        self.memoryUsedBytes = memoryUsedBytes
        self.powerWatts = powerWatts
    }
}

/// Reads GPUs by PCI bus id.
public protocol GPUReader: Sendable {
    /// The GPU at `busId` now; nil when the library cannot say.
    func read(busId: String) -> GPUReading?
}

/// NVML or ROCm SMI, loaded at run time (`CAgentShims/gpu_readers.c`): the node's vendor's library when it is
/// there and its driver answers, else nothing, and the agent samples CPU and memory alone.
public struct DriverGPUReader: GPUReader {
    public let vendor: GPUVendor

    /// The vendor's library, loaded and initialised (`library` overrides its name), or nil with why not.
    public static func load(_ vendor: GPUVendor, library: String? = nil) -> Result<DriverGPUReader, LoadError> {
        let rc =
            switch vendor {
            case .nvidia: raspored_nvml_open(library)
            case .amd: raspored_rsmi_open(library)
            }
        let name = library ?? (vendor == .nvidia ? "libnvidia-ml.so.1" : "librocm_smi64.so.1")
        switch rc {
        case 0: return .success(DriverGPUReader(vendor: vendor))
        case -1: return .failure(LoadError(description: "cannot load \(name)"))
        default: return .failure(LoadError(description: "\(name) did not initialise (is the driver loaded?)"))
        }
    }

    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public func read(busId: String) -> GPUReading? {
        var utilization: UInt32 = 0, memory: UInt64 = 0, milliwatts: UInt32 = 0
        let got =
            switch vendor {
            case .nvidia: raspored_nvml_sample(busId, &utilization, &memory, &milliwatts)
            case .amd: raspored_rsmi_sample(busId, &utilization, &memory, &milliwatts)
            }
        guard got >= 0, got & 1 != 0 else { return nil }
        return GPUReading(
            utilization: Double(min(utilization, 100)), memoryUsedBytes: got & 2 != 0 ? memory : nil,
            powerWatts: got & 4 != 0 ? Double(milliwatts) / 1000 : nil)
    }
}
