/// Where an allocation's GPUs are, in one line: `node:gpus` pairs in the allocation's node order, joined by
/// `;`, the GPU indices as ranges (`dgx01:0-3;dgx02:0-3`; a node the job holds without GPUs is `dgx03:`).
/// The simulator's per-job output and the live cluster's records are compared in this form.
public enum PlacementText {
    public static func text(_ nodes: some Sequence<(node: String, gpus: [Int])>) -> String {
        nodes.map { "\($0.node):\(RangeList.compact($0.gpus))" }.joined(separator: ";")
    }
}

extension AllocationView {
    /// `PlacementText` of this allocation.
    public var placementText: String { PlacementText.text(nodes.lazy.map { ($0.node, $0.gpus) }) }
}

extension ClusterSpec {
    /// `PlacementText` of `a`, with this cluster's node names.
    public func placementText(of a: Allocation) -> String {
        PlacementText.text(a.nodes.lazy.map { (nodes[$0.node].name, $0.gpus.sorted) })
    }
}
