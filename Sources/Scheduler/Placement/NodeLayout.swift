/// A node type compiled for fast decisions: per-domain GPU masks and core sets, and the mixed-radix
/// numbering of "free GPUs per NUMA domain" signatures that the placement index buckets nodes by.
final class NodeLayout: Sendable {
    let type: NodeType
    /// Position among the cluster's node types.
    let index: Int
    let name: String
    let cores: Int
    let memory: ByteSize
    let scratch: ByteSize
    let gpuCount: Int
    let allGPUs: UInt64
    let gpuModel: String?
    let gpuMemory: ByteSize
    /// GPU mask of each NUMA domain (all domains, by index).
    let domainGPUs: [UInt64]
    let domainCores: [CPUSet]
    let domainMemory: [ByteSize]
    let allCores: CPUSet
    /// Domains that hold GPUs, ascending; the signature has one digit per such domain.
    let gpuDomains: [Int]
    /// GPUs in each of `gpuDomains`, and their masks.
    let capacity: [Int]
    let digitGPUs: [UInt64]
    /// Largest GPU count of one domain: requests up to it can stay inside one domain.
    let maxDomainGPUs: Int
    /// The most cores and memory one GPU domain has: a request asking for more cannot stay inside one domain,
    /// whatever its GPU count (its cores and memory come from its GPUs' domains).
    let maxDomainCores: Int
    let maxDomainMemory: ByteSize

    /// Whether some GPU domain has as many cores and as much memory as `cores` and `memory`.
    func oneDomainHolds(cores: Int, memory: ByteSize) -> Bool {
        cores <= maxDomainCores && memory <= maxDomainMemory
    }
    let radix: [Int]
    let signatureCount: Int
    /// Every signature's digits (`digitTable[signature * capacity.count + k]`) and totals, worked out once:
    /// scoring a decision reads them for every bucket, where a division per digit would cost more. Empty for
    /// a layout with very many signatures (then they are computed).
    private let digitTable: [Int]
    private let totalTable: [Int]
    /// Every signature's count of non-zero digits (the GPU domains a take of that form touches).
    private let touchedTable: [Int]
    /// The signature of every mask of free GPUs, for a node type of up to 12 GPUs (empty for more: then it
    /// is computed): every commit and release asks it of each node it touches.
    private let signatureTable: [Int32]

    init(_ type: NodeType, index: Int) {
        self.type = type
        self.index = index
        name = type.name
        cores = type.cores
        memory = type.memory
        scratch = type.scratch
        gpuCount = type.gpus.count
        allGPUs = gpuCount == 64 ? ~0 : (1 << UInt64(gpuCount)) - 1
        gpuModel = type.gpuModel
        gpuMemory = type.gpus.first?.memory ?? .zero
        domainGPUs = type.numa.map { GPUSet($0.gpus).mask }
        domainCores = type.numa.map { CPUSet($0.cores) }
        domainMemory = type.numa.map(\.memory)
        allCores = CPUSet(0..<type.cores)
        gpuDomains = type.numa.indices.filter { !type.numa[$0].gpus.isEmpty }
        capacity = gpuDomains.map { type.numa[$0].gpus.count }
        let masks = type.numa.filter { !$0.gpus.isEmpty }.map { GPUSet($0.gpus).mask }
        digitGPUs = masks
        maxDomainGPUs = capacity.max() ?? 0
        maxDomainCores = gpuDomains.map { type.numa[$0].cores.count }.max() ?? 0
        maxDomainMemory = gpuDomains.map { type.numa[$0].memory }.max() ?? .zero
        var r: [Int] = []
        var acc = 1
        for c in capacity {
            r.append(acc)
            acc *= c + 1
        }
        radix = r
        signatureCount = acc
        var digits: [Int] = []
        var totals: [Int] = []
        var touched: [Int] = []
        if acc * max(capacity.count, 1) <= 1 << 16 {
            digits.reserveCapacity(acc * capacity.count)
            totals.reserveCapacity(acc)
            touched.reserveCapacity(acc)
            for sig in 0..<acc {
                var t = 0
                var n = 0
                for k in capacity.indices {
                    let d = (sig / r[k]) % (capacity[k] + 1)
                    digits.append(d)
                    t += d
                    if d > 0 { n += 1 }
                }
                totals.append(t)
                touched.append(n)
            }
        }
        digitTable = digits
        totalTable = totals
        touchedTable = touched
        signatureTable =
            gpuCount <= 12
            ? (0..<(UInt64(1) << UInt64(gpuCount))).map { Int32(Self.signature(free: $0, masks: masks, radix: r)) }
            : []
    }

    /// The signature id of a node with `free` GPUs.
    func signature(free: UInt64) -> Int {
        if !signatureTable.isEmpty { return Int(signatureTable[Int(truncatingIfNeeded: free & allGPUs)]) }
        return Self.signature(free: free, masks: digitGPUs, radix: radix)
    }

    /// The signature of `free`: each digit's free GPUs, by its radix.
    private static func signature(free: UInt64, masks: [UInt64], radix: [Int]) -> Int {
        var id = 0
        for (k, m) in masks.enumerated() { id += (free & m).nonzeroBitCount * radix[k] }
        return id
    }

    /// Free GPUs of signature digit `k` (the k-th GPU domain).
    @inline(__always) func digit(_ signature: Int, _ k: Int) -> Int {
        // (Wrapping arithmetic: a signature and a digit index are small.)
        digitTable.isEmpty
            ? (signature / radix[k]) % (capacity[k] &+ 1) : digitTable[signature &* capacity.count &+ k]
    }

    /// The non-zero digits of a signature (a take's count of the GPU domains it touches).
    func nonZeroDigits(_ signature: Int) -> Int {
        if !touchedTable.isEmpty { return touchedTable[signature] }
        var n = 0
        for k in capacity.indices where digit(signature, k) > 0 { n += 1 }
        return n
    }

    /// Total free GPUs of a signature.
    func total(_ signature: Int) -> Int {
        if !totalTable.isEmpty { return totalTable[signature] }
        var t = 0
        for k in capacity.indices { t += digit(signature, k) }
        return t
    }
}
