/// The fragmentation measure's changes, tabulated for one node type under the current mix, so
/// scoring a candidate is a few lookups instead of a loop over request sizes.
///
/// The change of a node's measure when it gives up GPUs splits into one term per NUMA domain touched
/// (which depends on the domain's capacity, its free GPUs and how many are taken) and one term for
/// the node's total. Both tables are rebuilt whenever the mix is re-weighed.
struct FragmentationTable: Sendable {
    private let side: Int
    private let nodeSide: Int
    private var domain: [Double]
    private var total: [Double]
    /// Per request size, its integer terms: the change of its unusable GPUs for every (capacity, free,
    /// taken) of a domain, then for every (node free, taken). They do not depend on the mix, so a table
    /// re-weighed under a new mix (every 32 placements) keeps them and only sums them anew; worked out the
    /// first time a size has weight (empty: not yet).
    private var terms: [[Int32]]

    init(layout: NodeLayout, mix: ShapeMix) {
        side = layout.maxDomainGPUs + 1
        nodeSide = layout.gpuCount + 1
        domain = []
        total = []
        terms = Array(repeating: [], count: ShapeMix.maxSize + 1)
        weigh(layout: layout, mix: mix)
    }

    /// Re-weighs the table under `mix`: sums the terms of its sizes by their probabilities (in the mix's
    /// order of sizes, cell by cell).
    mutating func weigh(layout: NodeLayout, mix: ShapeMix) {
        let cells = side * side * side
        var domain = [Double](repeating: 0, count: cells)
        var total = [Double](repeating: 0, count: nodeSide * nodeSide)
        for s in mix.sizes where terms[s].isEmpty {
            terms[s] = Self.terms(size: s, layout: layout, side: side, nodeSide: nodeSide)
        }
        // Summed through buffers, without a bounds check per cell: a commit re-weighs every 32nd time.
        domain.withUnsafeMutableBufferPointer { d in
            total.withUnsafeMutableBufferPointer { n in
                for (s, p) in zip(mix.sizes, mix.probabilities) {
                    terms[s].withUnsafeBufferPointer { u in
                        for c in 0..<cells { d[c] += p * Double(u[c]) }
                        for c in 0..<n.count { n[c] += p * Double(u[cells &+ c]) }
                    }
                }
            }
        }
        self.domain = domain
        self.total = total
    }

    /// A size's terms (0 where a cell cannot occur: more free than the capacity, more taken than free).
    private static func terms(size s: Int, layout: NodeLayout, side: Int, nodeSide: Int) -> [Int32] {
        var u = [Int32](repeating: 0, count: side * side * side + nodeSide * nodeSide)
        for cap in 0..<side {
            for f in 0...cap {
                for t in 0...f {
                    u[(cap * side + f) * side + t] = Int32(
                        ShapeMix.unusableInDomain(free: f - t, cap: cap, size: s, layout: layout)
                            - ShapeMix.unusableInDomain(free: f, cap: cap, size: s, layout: layout))
                }
            }
        }
        let base = side * side * side
        for t in 0..<nodeSide {
            for g in 0...t {
                u[base + t * nodeSide + g] = Int32(
                    ShapeMix.unusableByTotal(total: t - g, size: s, layout: layout)
                        - ShapeMix.unusableByTotal(total: t, size: s, layout: layout))
            }
        }
        return u
    }

    /// Change when `taken` of a domain's `free` GPUs (capacity `cap`) are taken.
    @inline(__always) func domainDelta(cap: Int, free: Int, taken: Int) -> Double {
        domain[(cap &* side &+ free) &* side &+ taken]
    }

    /// Change of the node-total term when `gpus` of `free` GPUs are taken.
    @inline(__always) func totalDelta(free: Int, gpus: Int) -> Double { total[free &* nodeSide &+ gpus] }
}
