import Foundation

/// The request-size mix that the fragmentation measure weighs free capacity by, and the measure itself.
///
/// A size s (GPUs per node) has probability p_s: half from the configured prior, half from the recent
/// requests with exponential decay. A node's fragmentation is Σ_s p_s × u_s, where u_s counts the
/// node's free GPUs that requests of size s could not use under the placement rules (docs/placement.md).
struct ShapeMix: Sendable {
    private var prior: [Double]
    private var observed: [Double]
    private var increment = 1.0
    private let growth: Double
    private var dirty = true
    /// Sizes with weight, and their probabilities; valid after `refresh()`.
    private(set) var sizes: [Int] = []
    private(set) var probabilities: [Double] = []

    static let maxSize = 72

    init(settings: PlacementSettings) {
        prior = Array(repeating: 0, count: Self.maxSize + 1)
        observed = prior
        for (s, w) in settings.shapeMix where s >= 1 && s <= Self.maxSize { prior[s] = w }
        growth = 1 / pow(0.5, 1 / Double(settings.mixHalfLife))
    }

    /// Counts one placed request of `size` GPUs per node (whole nodes count as the node's GPUs).
    mutating func observe(size: Int) {
        guard size >= 1 else { return }
        observed[min(size, Self.maxSize)] += increment
        increment *= growth
        if increment > 1e100 {
            for i in observed.indices { observed[i] /= increment }
            increment = 1
        }
        dirty = true
    }

    mutating func refresh() {
        guard dirty else { return }
        dirty = false
        let pt = prior.reduce(0, +)
        let ot = observed.reduce(0, +)
        sizes.removeAll(keepingCapacity: true)
        probabilities.removeAll(keepingCapacity: true)
        var raw: [Double] = []
        for s in 1...Self.maxSize {
            var p = 0.0
            if pt > 0 { p += prior[s] / pt * (ot > 0 ? 0.5 : 1) }
            if ot > 0 { p += observed[s] / ot * (pt > 0 ? 0.5 : 1) }
            if p > 0.001 {
                sizes.append(s)
                raw.append(p)
            }
        }
        let total = raw.reduce(0, +)
        for p in raw { probabilities.append(p / total) }
    }

    /// Free GPUs of one domain with `free` of `cap` that requests of size s cannot use.
    @inline(__always) static func unusableInDomain(free: Int, cap: Int, size s: Int, layout: NodeLayout) -> Int {
        if s > layout.maxDomainGPUs { return 0 }  // counted on the node total instead
        return s <= cap ? free % s : free
    }

    /// Unusable GPUs of a node by its total when s spans domains (s > largest domain).
    @inline(__always) static func unusableByTotal(total: Int, size s: Int, layout: NodeLayout) -> Int {
        if s <= layout.maxDomainGPUs { return 0 }
        return s <= layout.gpuCount ? total % s : total
    }

    /// The fragmentation of a node whose free GPUs have signature `sig`.
    func fragmentation(signature sig: Int, layout: NodeLayout) -> Double {
        var f = 0.0
        let total = layout.total(sig)
        for (i, s) in sizes.enumerated() {
            var u = Self.unusableByTotal(total: total, size: s, layout: layout)
            for k in layout.capacity.indices {
                u += Self.unusableInDomain(free: layout.digit(sig, k), cap: layout.capacity[k], size: s, layout: layout)
            }
            f += probabilities[i] * Double(u)
        }
        return f
    }

    /// How many more requests of `size` GPUs fit on a node of signature `sig` under the rules.
    static func fits(size s: Int, signature sig: Int, layout: NodeLayout) -> Int {
        if s > layout.gpuCount { return 0 }
        if s > layout.maxDomainGPUs { return layout.total(sig) / s }
        var n = 0
        for k in layout.capacity.indices where s <= layout.capacity[k] { n += layout.digit(sig, k) / s }
        return n
    }
}
