import Foundation
import Testing

@testable import Scheduler

@Suite struct WorkloadGeneratorTests {
    @Test func sameSeedSameJobsOtherSeedOtherJobs() {
        let a = WorkloadGenerator(profile: .philly, seed: 42).generate(jobs: 2000)
        let b = WorkloadGenerator(profile: .philly, seed: 42).generate(jobs: 2000)
        let c = WorkloadGenerator(profile: .philly, seed: 43).generate(jobs: 2000)
        #expect(a == b)
        #expect(TraceCSV.write(a) == TraceCSV.write(b))
        #expect(a.jobs.count == 2000)
        #expect(a.jobs.map(\.submit) != c.jobs.map(\.submit))
        #expect(a.jobs.map(\.duration) != c.jobs.map(\.duration))
        #expect(a.jobs.map(\.request.gpus) != c.jobs.map(\.request.gpus))
        #expect(zip(a.jobs, a.jobs.dropFirst()).allSatisfy { $0.submit < $1.submit })
    }

    @Test func changingTheSizeMixLeavesArrivalsAlone() {
        var other = WorkloadProfile.philly
        other.sizeMix = [.init(gpus: 8, weight: 1)]
        let a = WorkloadGenerator(profile: .philly, seed: 7).generate(jobs: 500)
        let b = WorkloadGenerator(profile: other, seed: 7).generate(jobs: 500)
        #expect(a.jobs.map(\.submit) == b.jobs.map(\.submit))
        #expect(a.jobs.map(\.duration) == b.jobs.map(\.duration))
        #expect(b.jobs.allSatisfy { $0.request.gpus == 8 })
    }

    @Test func sizeMixMatchesPhilly() {
        let w = WorkloadGenerator(profile: .philly, seed: 1).generate(jobs: 50_000)
        var counts: [Int: Int] = [:]
        for j in w.jobs { counts[j.request.gpus!, default: 0] += 1 }
        let n = Double(w.jobs.count)
        // philly.csv: 76,627 of 82,247 jobs ask for 1 GPU, 1643 for 8 (binomial σ ≈ 0.0011 and 0.0006 at n = 50k).
        #expect(abs(Double(counts[1]!) / n - 76_627.0 / 82_247) < 0.005)
        #expect(abs(Double(counts[8]!) / n - 1643.0 / 82_247) < 0.003)
        #expect(Set(counts.keys).isSubset(of: [1, 2, 4, 8, 12, 16, 24, 32, 64, 128]))
        // Mean GPUs per job: 1.3038 in philly.csv.
        let mean = w.jobs.reduce(0.0) { $0 + Double($1.gpuCount) } / n
        #expect(abs(WorkloadProfile.philly.meanGPUs - 1.3038) < 0.0001)
        #expect(abs(mean - 1.3038) / 1.3038 < 0.03)
    }

    @Test func durationsMatchPhillysMedianAndMean() {
        let w = WorkloadGenerator(profile: .philly, seed: 2).generate(jobs: 200_000)
        let d = w.jobs.map(\.duration).sorted()
        let median = d[d.count / 2]
        let mean = d.reduce(0, +) / Double(d.count)
        // philly.csv: median 1144 s, mean 13,135.9 s. Sample median σ ≈ 0.6 %, sample mean σ ≈ 2.6 % (σ_log = 2.21).
        #expect(abs(median - 1144) / 1144 < 0.03)
        #expect(abs(mean - 13_135.9) / 13_135.9 < 0.12)
        #expect(d.first! >= 1)
    }

    @Test func arrivalsMatchPhillysRateAndDailyCycle() {
        let w = WorkloadGenerator(profile: .philly, seed: 3).generate(jobs: 50_000)
        let perHour = Double(w.jobs.count - 1) / w.arrivalSpan * 3600
        #expect(abs(perHour - 31.4694) / 31.4694 < 0.03)
        // First harmonic of arrivals per hour of day, as measured on philly.csv: amplitude 0.288 in hourly bins
        // (0.289 × sinc(π/24)), peak 4.98 h.
        var hours = [Double](repeating: 0, count: 24)
        for j in w.jobs { hours[Int(j.submit / 3600) % 24] += 1 }
        let m = hours.reduce(0, +) / 24
        let a =
            hours.enumerated().reduce(0.0) { $0 + $1.element * cos(2 * .pi * (Double($1.offset) + 0.5) / 24) } / 12 / m
        let b =
            hours.enumerated().reduce(0.0) { $0 + $1.element * sin(2 * .pi * (Double($1.offset) + 0.5) / 24) } / 12 / m
        #expect(abs((a * a + b * b).squareRoot() - 0.288) < 0.03)
        let peak = (atan2(b, a) / (2 * .pi) * 24 + 24).truncatingRemainder(dividingBy: 24)
        #expect(abs(peak - 4.98) < 0.5)
    }

    @Test func withoutDiurnalFactorArrivalsArePlainPoisson() {
        var flat = WorkloadProfile.philly
        flat.diurnalAmplitude = 0
        flat.arrivalsPerHour = 60
        let w = WorkloadGenerator(profile: flat, seed: 4).generate(jobs: 20_000)
        let gaps = zip(w.jobs.dropFirst(), w.jobs).map { $0.submit - $1.submit }
        let mean = gaps.reduce(0, +) / Double(gaps.count)
        let sd = (gaps.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(gaps.count)).squareRoot()
        // Exponential gaps: mean 60 s and standard deviation equal to the mean (σ of the sample mean ≈ 0.7 %).
        #expect(abs(mean - 60) / 60 < 0.03)
        #expect(abs(sd / mean - 1) < 0.05)
    }

    @Test func logNormalFitIsTheClosedForm() {
        let d = LogNormalDuration(median: 1144, mean: 13_135.931)
        #expect(abs(exp(d.mu) - 1144) < 1e-9)
        #expect(abs(exp(d.mu + d.sigma * d.sigma / 2) - 13_135.931) < 1e-6)
    }
}
