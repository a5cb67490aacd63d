import Foundation
import RasporedAPI

/// Which character devices open a node's GPUs: the ranges a job's cgroup filters, and each GPU's own device
/// numbers within them. A job may open the devices of its GPUs and nothing else in those ranges; devices
/// outside them (NVIDIA's control devices, nvidia-uvm, AMD's /dev/kfd) stay open to every job, as the
/// runtimes need them and they give no GPU by themselves.
public struct GPUDeviceMap: Sendable, Hashable {
    /// Minors `minors` of `major`.
    public struct Range: Sendable, Hashable {
        public var major: UInt32
        public var minors: Swift.Range<UInt32>
    }

    public struct Device: Sendable, Hashable {
        public var major: UInt32
        public var minor: UInt32
    }

    public var ranges: [Range]
    /// Each GPU's devices, by index in PCI bus order.
    public var devices: [Int: [Device]]

    /// The devices of `gpus`.
    public func allowed(_ gpus: [Int]) -> [Device] { gpus.flatMap { devices[$0] ?? [] } }

    /// NVIDIA's: major 195, /dev/nvidiaN for N below 254 (nvidia-modeset 254 and nvidiactl 255 stay open);
    /// a GPU's N from `minors` (`Confinement.nvidiaMinors`), else its index.
    public static func nvidia(minors: [Int: UInt32], gpus: Int = 0) -> GPUDeviceMap {
        var devices: [Int: [Device]] = [:]
        for i in 0..<max(gpus, (minors.keys.max() ?? -1) + 1) {
            devices[i] = [Device(major: nvidiaMajor, minor: minors[i] ?? UInt32(i))]
        }
        return GPUDeviceMap(ranges: [Range(major: nvidiaMajor, minors: 0..<254)], devices: devices)
    }

    /// NVIDIA's character device major: /dev/nvidia0… and the control devices.
    public static let nvidiaMajor: UInt32 = 195
    /// The DRM major, of AMD's /dev/dri/cardN (minors 0 to 63) and /dev/dri/renderD128… (minors 128 to 191).
    public static let drmMajor: UInt32 = 226

    /// AMD's: a GPU is its DRM card and render node, found under `sysfs`/BUS/drm (`card1`, `renderD129`) for each
    /// GPU's PCI bus id in `busIds` (index order); a GPU not found there gets card N and render node 128 + N
    /// for its index N. /dev/kfd (a major of its own) stays open.
    public static func amd(busIds: [String], sysfs: String = "/sys/bus/pci/devices") -> GPUDeviceMap {
        var devices: [Int: [Device]] = [:]
        for (index, bus) in busIds.enumerated() {
            var card: UInt32?, render: UInt32?
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "\(sysfs)/\(bus)/drm")) ?? []
            for name in entries {
                if name.hasPrefix("renderD"), let n = UInt32(name.dropFirst("renderD".count)) {
                    render = n
                } else if name.hasPrefix("card"), let n = UInt32(name.dropFirst("card".count)) {
                    card = n
                }
            }
            devices[index] = [
                Device(major: drmMajor, minor: card ?? UInt32(index)),
                Device(major: drmMajor, minor: render ?? 128 + UInt32(index)),
            ]
        }
        return GPUDeviceMap(
            ranges: [Range(major: drmMajor, minors: 0..<64), Range(major: drmMajor, minors: 128..<192)],
            devices: devices)
    }

    /// The map for a node's GPUs, as its vendor's driver numbers them.
    public static func discovered(_ node: DiscoveredNode) -> GPUDeviceMap {
        let buses = node.gpus.sorted { $0.index < $1.index }.map(\.pciBusId)
        switch node.gpuVendor {
        case .nvidia: return nvidia(minors: Confinement.nvidiaMinors(busIds: buses), gpus: buses.count)
        case .amd: return amd(busIds: buses)
        }
    }
}
