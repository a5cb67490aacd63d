/// Who made a node's GPUs, which decides what a job is told about them and which device files its cgroup
/// opens: NVIDIA (CUDA) or AMD (ROCm).
public enum GPUVendor: String, Sendable, Hashable, Codable, CaseIterable {
    case nvidia, amd

    /// PCI vendor ids: 0x10de, 0x1002.
    public var pciVendorId: UInt16 {
        switch self {
        case .nvidia: 0x10de
        case .amd: 0x1002
        }
    }

    public init?(pciVendorId: UInt16) {
        guard let v = Self.allCases.first(where: { $0.pciVendorId == pciVendorId }) else { return nil }
        self = v
    }

    /// The vendor of "10de:2335"-style ids; nil for another.
    public init?(pciDeviceId: String) {
        guard let vendor = pciDeviceId.split(separator: ":").first.flatMap({ UInt16($0, radix: 16) }) else {
            return nil
        }
        self.init(pciVendorId: vendor)
    }

    /// What says which GPUs a process may use, for the node's GPUs `gpus` (indices in PCI bus order) with
    /// their `uuids` (by index; where known):
    /// - NVIDIA: `CUDA_VISIBLE_DEVICES` and `NVIDIA_VISIBLE_DEVICES` (the container runtime's; `void` for
    ///   none) with the indices, which CUDA numbers in PCI bus order under `CUDA_DEVICE_ORDER=PCI_BUS_ID`.
    /// - AMD: `ROCR_VISIBLE_DEVICES` with the GPUs' UUIDs (`GPU-…`), since ROCm numbers GPUs in its own order,
    ///   not the PCI bus's (on LLNL's Corona nodes the GPU at 0000:63:00.0, fourth by bus, is rsmi0), and its
    ///   numbers change inside a cgroup that hides the other GPUs; the indices where a UUID is missing. HIP
    ///   numbers what ROCr shows from 0, so `HIP_VISIBLE_DEVICES` is 0 to n−1. A job with no GPU gets both
    ///   empty (its cgroup opens no GPU either).
    public func visibleDevices(_ gpus: [Int], uuids: [Int: String]) -> [String: String] {
        let indices = gpus.map(String.init).joined(separator: ",")
        switch self {
        case .nvidia:
            return [
                "CUDA_DEVICE_ORDER": "PCI_BUS_ID", "CUDA_VISIBLE_DEVICES": indices,
                "NVIDIA_VISIBLE_DEVICES": gpus.isEmpty ? "void" : indices,
            ]
        case .amd:
            let ids = gpus.compactMap { uuids[$0] }
            return [
                "ROCR_VISIBLE_DEVICES": ids.count == gpus.count ? ids.joined(separator: ",") : indices,
                "HIP_VISIBLE_DEVICES": gpus.indices.map(String.init).joined(separator: ","),
            ]
        }
    }

    /// Every variable `visibleDevices` may set, of either vendor.
    public static let visibleDeviceVariables: Set<String> = [
        "CUDA_DEVICE_ORDER", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
        "HIP_VISIBLE_DEVICES",
    ]

    /// ROCm's name for a GPU of 64-bit unique id `hex` (as ROCm SMI and hwloc's `AMDUUID` give it, without
    /// leading zeros): "GPU-" and 16 hex digits.
    public static func rocmUUID(_ hex: String) -> String? {
        guard let v = UInt64(hex, radix: 16) else { return nil }
        let digits = String(v, radix: 16)
        return "GPU-" + String(repeating: "0", count: 16 - digits.count) + digits
    }
}
