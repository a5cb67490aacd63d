import Foundation

/// Job run times drawn from a log-normal distribution fitted to a published median and mean:
/// μ = ln(median), σ² = 2 ln(mean / median) (so that e^μ is the median and e^(μ+σ²/2) the mean).
///
/// Presets, each from the summary statistics of GPU jobs in /work/shared/data (see docs/simulate.md).
public struct LogNormalDuration: Hashable, Sendable {
    /// Median run time in seconds.
    public var median: Double
    /// Mean run time in seconds; at least the median.
    public var mean: Double

    public init(median: Double, mean: Double) {
        precondition(median > 0 && mean >= median, "a log-normal needs 0 < median ≤ mean")
        self.median = median
        self.mean = mean
    }

    public var mu: Double { log(median) }
    public var sigma: Double { (2 * log(mean / median)).squareRoot() }

    /// A draw, in seconds, using one standard normal from `random`.
    public func sample(_ random: inout SeededRandom) -> Double {
        exp(mu + sigma * random.standardNormal())
    }

    /// Microsoft Philly, Pollux extraction (microsoft-philly-via-pollux/philly.csv, 82,247 jobs):
    /// median 1144 s, mean 13,135.93 s.
    public static let philly = LogNormalDuration(median: 1144, mean: 13_135.931)
    /// Philly as the Acme authors summarise the full trace (acmetrace-cluster-summary, row Philly).
    public static let phillyAcme = LogNormalDuration(median: 874, mean: 18_006.055)
    /// SenseTime Helios, all four clusters, GPU jobs (helios-artifact-cluster-summary, row total).
    public static let helios = LogNormalDuration(median: 206, mean: 6651.681)
    /// Shanghai AI Lab Seren, LLM development, GPU jobs (acmetrace-cluster-summary, row Seren).
    public static let seren = LogNormalDuration(median: 122, mean: 1414.335)
    /// Shanghai AI Lab Kalos, LLM pretraining, GPU jobs (acmetrace-cluster-summary, row Kalos).
    public static let kalos = LogNormalDuration(median: 124, mean: 1259.689)
}

extension SeededRandom {
    /// A standard normal draw (Box–Muller, two uniforms per draw).
    public mutating func standardNormal() -> Double {
        let u1 = 1 - unit()  // (0, 1]
        let u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
