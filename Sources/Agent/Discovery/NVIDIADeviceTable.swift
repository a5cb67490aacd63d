import Scheduler

/// NVIDIA data-centre GPUs by PCI device id, for when hwloc has no CUDA/NVML OS device to name them
/// (no GPU driver on the node, or a topology exported without those backends).
///
/// Memory is the nominal size NVIDIA quotes; the CUDA backend's `CUDAGlobalMemorySize` wins when present.
/// Ids checked against the fixtures: 0x2330 (ipa20), 0x1db8 (nvidiaDGX2), 0x1db1 (coral-lassen,
/// jwc09n003), 0x20b0 (jwb0004); the others are from the PCI ID repository (pci.ids).
public enum NVIDIADeviceTable {
    /// A table entry: the short model name cluster.yaml uses and the nominal memory.
    public struct Entry: Sendable, Hashable {
        public var model: String
        public var memory: ByteSize
    }

    public static let vendorId: UInt16 = 0x10de

    public static let entries: [UInt16: Entry] = [
        0x2335: Entry(model: "H200", memory: .gigabytes(141)),
        0x2330: Entry(model: "H100", memory: .gigabytes(80)),  // H100 SXM5 80GB
        0x2331: Entry(model: "H100", memory: .gigabytes(80)),  // H100 PCIe
        0x2321: Entry(model: "H100", memory: .gigabytes(94)),  // H100 NVL
        0x2901: Entry(model: "B200", memory: .gigabytes(180)),
        0x2941: Entry(model: "GB200", memory: .gigabytes(186)),
        0x20b0: Entry(model: "A100", memory: .gigabytes(40)),  // A100 SXM4 40GB
        0x20b2: Entry(model: "A100", memory: .gigabytes(80)),  // A100 SXM4 80GB
        0x20b5: Entry(model: "A100", memory: .gigabytes(80)),  // A100 PCIe 80GB
        0x20f1: Entry(model: "A100", memory: .gigabytes(40)),  // A100 PCIe 40GB
        0x1db1: Entry(model: "V100", memory: .gigabytes(16)),  // V100 SXM2 16GB
        0x1db5: Entry(model: "V100", memory: .gigabytes(32)),  // V100 SXM2 32GB
        0x1db4: Entry(model: "V100", memory: .gigabytes(16)),  // V100 PCIe 16GB
        0x1db6: Entry(model: "V100", memory: .gigabytes(32)),  // V100 PCIe 32GB
        0x1db8: Entry(model: "V100", memory: .gigabytes(32)),  // V100 SXM3 32GB (DGX-2)
        0x1eb8: Entry(model: "T4", memory: .gigabytes(16)),
        0x26b9: Entry(model: "L40S", memory: .gigabytes(48)),
        0x27b8: Entry(model: "L4", memory: .gigabytes(24)),
    ]

    /// The short model name from a marketing name when the device id is unknown:
    /// "NVIDIA H100 80GB HBM3" → "H100", "Tesla V100-SXM2-16GB" → "V100".
    public static func shortName(fromMarketingName name: String) -> String {
        var words = name.split(separator: " ").map(String.init)
        while let first = words.first, ["NVIDIA", "Tesla", "Quadro"].contains(first) { words.removeFirst() }
        guard let first = words.first else { return name }
        return String(first.split(separator: "-").first ?? Substring(first))
    }
}
