/// How many more requests of each common size fit now, and how fragmented the free GPUs are.
public struct FreeShapes: Hashable, Sendable, Codable {
    /// GPUs free on nodes that take work.
    public var freeGPUs: Int
    /// GPUs of nodes that take work.
    public var totalGPUs: Int
    /// For each size (GPUs per request), how many more such requests fit under the placement rules.
    public var fits: [Int: Int]
    /// Idle nodes: how many whole-node requests (exclusive, or multi-node in a partition that gives them
    /// whole nodes) could start.
    public var wholeNodes: Int
    /// The fragmentation measure: free GPUs that the current request mix could not use.
    public var fragmentedGPUs: Double
    /// `fragmentedGPUs` as a share of the free GPUs (0 when none is free).
    public var fragmentation: Double { freeGPUs == 0 ? 0 : fragmentedGPUs / Double(freeGPUs) }

    enum CodingKeys: String, CodingKey {
        case freeGPUs, totalGPUs, fits, wholeNodes, fragmentedGPUs, fragmentation
    }
    public init(freeGPUs: Int, totalGPUs: Int, fits: [Int: Int], wholeNodes: Int, fragmentedGPUs: Double) {
        self.freeGPUs = freeGPUs
        self.totalGPUs = totalGPUs
        self.fits = fits
        self.wholeNodes = wholeNodes
        self.fragmentedGPUs = fragmentedGPUs
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        freeGPUs = try c.decode(Int.self, forKey: .freeGPUs)
        totalGPUs = try c.decode(Int.self, forKey: .totalGPUs)
        let raw = try c.decode([String: Int].self, forKey: .fits)
        fits = Dictionary(uniqueKeysWithValues: raw.compactMap { k, v in Int(k).map { ($0, v) } })
        wholeNodes = try c.decode(Int.self, forKey: .wholeNodes)
        fragmentedGPUs = try c.decode(Double.self, forKey: .fragmentedGPUs)
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(freeGPUs, forKey: .freeGPUs)
        try c.encode(totalGPUs, forKey: .totalGPUs)
        try c.encode(Dictionary(uniqueKeysWithValues: fits.map { (String($0), $1) }), forKey: .fits)
        try c.encode(wholeNodes, forKey: .wholeNodes)
        try c.encode((fragmentedGPUs * 1000).rounded() / 1000, forKey: .fragmentedGPUs)
        try c.encode((fragmentation * 1000).rounded() / 1000, forKey: .fragmentation)
    }
}

extension ClusterState {
    /// Free shapes for request sizes `sizes` (GPUs), counted from the index buckets (nodes that take work).
    public func freeShapes(sizes: [Int] = [1, 2, 4, 8]) -> FreeShapes {
        var fits = Dictionary(uniqueKeysWithValues: sizes.map { ($0, 0) })
        var free = 0
        var total = 0
        var frag = 0.0
        var whole = 0
        for pool in pools {
            let layout = layouts[pool.layout]
            whole += pool.idle.count
            for sig in pool.active {
                let count = pool.buckets.count(sig)
                free += layout.total(sig) * count
                total += layout.gpuCount * count
                frag += mix.fragmentation(signature: sig, layout: layout) * Double(count)
                for s in sizes { fits[s]! += ShapeMix.fits(size: s, signature: sig, layout: layout) * count }
            }
        }
        return FreeShapes(freeGPUs: free, totalGPUs: total, fits: fits, wholeNodes: whole, fragmentedGPUs: frag)
    }

    /// The fragmentation measure of one node (GPUs the request mix could not use).
    public func fragmentation(node: Int) -> Double {
        let n = nodes[node]
        let layout = layouts[n.layout]
        return mix.fragmentation(signature: layout.signature(free: n.freeGPUs), layout: layout)
    }

    /// The request-size mix the measure currently uses: (GPUs per request, probability).
    public var shapeMix: [(size: Int, probability: Double)] {
        Array(zip(mix.sizes, mix.probabilities)).map { (size: $0.0, probability: $0.1) }
    }
}

extension ClusterState {
    /// How many more requests of each size (GPUs) fit on one node now, under the placement rules;
    /// none for a node that takes no work (draining or down).
    public func freeShapes(node: Int, sizes: [Int] = [1, 2, 4, 8]) -> [Int: Int] {
        let n = nodes[node]
        let layout = layouts[n.layout]
        let sig = layout.signature(free: n.freeGPUs)
        return Dictionary(
            uniqueKeysWithValues: sizes.map {
                ($0, n.availability == .up ? ShapeMix.fits(size: $0, signature: sig, layout: layout) : 0)
            })
    }
}
