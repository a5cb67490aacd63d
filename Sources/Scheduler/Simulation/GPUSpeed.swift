/// Relative speed of GPU models, for scaling a job's runtime to the GPUs it lands on: a job that ran
/// `duration` seconds on the reference model runs `duration / speed` on a model of relative `speed`.
///
/// Defaults are dense BF16 Tensor Core throughput from NVIDIA's datasheets, relative to the H200
/// (989 TFLOPS dense BF16, the same as the H100 SXM): A100 SXM 312, H100 SXM 989, H200 989, B200 2,250
/// (4.5 PFLOPS with sparsity, halved), GB200 2,500 per GPU (5 PFLOPS sparse per GPU, halved), L40S 362,
/// L4 121, V100 125 (FP16). Training throughput follows compute more than memory; memory-bound work
/// gains less, which a planner can say with `--speed MODEL=X`.
public struct GPUSpeed: Sendable, Hashable {
    public var relative: [String: Double]
    /// Speed of a model not listed.
    public var unknown: Double

    public static let defaults = GPUSpeed(
        relative: [
            "A100": 312.0 / 989, "H100": 1, "H200": 1, "B200": 2250.0 / 989, "GB200": 2500.0 / 989,
            "L40S": 362.0 / 989, "L4": 121.0 / 989, "V100": 125.0 / 989,
        ], unknown: 1)

    public init(relative: [String: Double], unknown: Double = 1) {
        self.relative = relative
        self.unknown = unknown
    }

    public func speed(of model: String?) -> Double {
        guard let model else { return 1 }
        return relative[model] ?? unknown
    }
}
