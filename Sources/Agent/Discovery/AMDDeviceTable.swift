import Scheduler

/// AMD Instinct GPUs by PCI device id, for when hwloc's ROCm SMI backend has no model to give (no ROCm on
/// the node, or a topology exported without it), and the model in the names it does give.
///
/// Memory is the nominal size AMD quotes; the OpenCL backend's `OpenCLGlobalMemorySize` wins when present.
/// 0x66a1 is checked against the Corona fixture (MI50 32GB); the others are from the PCI ID repository
/// (pci.ids), where one id may cover several boards (0x740c: MI250 and MI250X).
public enum AMDDeviceTable {
    public typealias Entry = NVIDIADeviceTable.Entry

    public static let entries: [UInt16: Entry] = [
        0x66a1: Entry(model: "MI50", memory: .gigabytes(32)),
        0x738c: Entry(model: "MI100", memory: .gigabytes(32)),
        0x740f: Entry(model: "MI210", memory: .gigabytes(64)),
        0x740c: Entry(model: "MI250X", memory: .gigabytes(128)),
        0x74a1: Entry(model: "MI300X", memory: .gigabytes(192)),
        0x74a0: Entry(model: "MI300A", memory: .gigabytes(128)),
    ]

    /// The Instinct model in a marketing name: the first word "MI" and digits, with any letters after
    /// ("AMD Instinct MI300X" → "MI300X"; ROCm SMI's "deon Instinct MI50 32GB", clipped by the exporter, →
    /// "MI50"); nil when there is none.
    public static func model(inMarketingName name: String) -> String? {
        for word in name.split(separator: " ") {
            let w = word.uppercased()
            guard w.hasPrefix("MI"), w.count > 2 else { continue }
            let rest = w.dropFirst(2)
            guard let first = rest.first, first.isNumber, rest.allSatisfy({ $0.isNumber || $0.isLetter }) else {
                continue
            }
            return String(w)
        }
        return nil
    }
}
