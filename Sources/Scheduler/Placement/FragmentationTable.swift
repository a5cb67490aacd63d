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

    init(layout: NodeLayout, mix: ShapeMix) {
        side = layout.maxDomainGPUs + 1
        nodeSide = layout.gpuCount + 1
        domain = Array(repeating: 0, count: side * side * side)
        total = Array(repeating: 0, count: nodeSide * nodeSide)
        let sizes = Array(zip(mix.sizes, mix.probabilities))
        for cap in 0..<side {
            for f in 0...cap {
                for t in 0...f {
                    var d = 0.0
                    for (s, p) in sizes {
                        d +=
                            p
                            * Double(
                                ShapeMix.unusableInDomain(free: f - t, cap: cap, size: s, layout: layout)
                                    - ShapeMix.unusableInDomain(free: f, cap: cap, size: s, layout: layout))
                    }
                    domain[(cap * side + f) * side + t] = d
                }
            }
        }
        for t in 0..<nodeSide {
            for g in 0...t {
                var d = 0.0
                for (s, p) in sizes {
                    d +=
                        p
                        * Double(
                            ShapeMix.unusableByTotal(total: t - g, size: s, layout: layout)
                                - ShapeMix.unusableByTotal(total: t, size: s, layout: layout))
                }
                total[t * nodeSide + g] = d
            }
        }
    }

    /// Change when `taken` of a domain's `free` GPUs (capacity `cap`) are taken.
    @inline(__always) func domainDelta(cap: Int, free: Int, taken: Int) -> Double {
        domain[(cap * side + free) * side + taken]
    }

    /// Change of the node-total term when `gpus` of `free` GPUs are taken.
    @inline(__always) func totalDelta(free: Int, gpus: Int) -> Double { total[free * nodeSide + gpus] }
}
