/// Relative speed of GPU models, for scaling a job's runtime to the GPUs it lands on: a job that ran
/// `duration` seconds on the reference model (the H200) runs `duration / speed` on a model of relative
/// `speed`. The speeds are what the cluster description declares (`gpuModels: {B200: {relativeSpeed: 2.2}}`;
/// the scenario files give their sources), which a planner may override (`schedctl simulate --speed`).
public struct GPUSpeed: Sendable, Hashable {
    public var relative: [String: Double]

    public init(relative: [String: Double]) { self.relative = relative }

    /// The speeds `spec` declares, with `overrides` on top.
    public init(spec: ClusterSpec, overrides: [String: Double] = [:]) {
        relative = Dictionary(spec.gpuModels.map { ($0.name, $0.relativeSpeed) }, uniquingKeysWith: { a, _ in a })
        relative.merge(overrides) { _, o in o }
    }

    /// 1 for a model not listed.
    public func speed(of model: String?) -> Double {
        guard let model else { return 1 }
        // A cluster has a few models: comparing names beats hashing one.
        let s = relative.count <= 8 ? relative.first { $0.key == model }?.value : relative[model]
        guard let s, s > 0 else { return 1 }
        return s
    }
}
