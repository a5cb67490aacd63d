import Testing

@testable import Scheduler

@Suite struct WorkloadScalingTests {
    /// Three jobs, worked by hand: Σ gpus × duration = 2×100 + 1×200 + 4×25 = 500 GPU-s over an arrival
    /// span of 100 s (first arrival at `start`); on 4 GPUs the offered load is 500 / (100 × 4) = 1.25.
    func small(start: Double = 0) -> Workload {
        Workload(
            jobs: [
                TraceJob(id: "a", submit: start, duration: 100, request: ResourceRequest(gpus: 2)),
                TraceJob(id: "b", submit: start + 50, duration: 200, request: ResourceRequest(gpus: 1)),
                TraceJob(id: "c", submit: start + 100, duration: 25, request: ResourceRequest(gpus: 4)),
            ], provenance: "hand-worked")
    }

    @Test func offeredLoadIsGPUSecondsOverSpanTimesGPUs() {
        #expect(small().gpuSeconds == 500)
        #expect(small().arrivalSpan == 100)
        #expect(small().offeredLoad(gpus: 4) == 1.25)
    }

    @Test func halvingTheLoadStretchesArrivals() throws {
        // Target 0.5: factor 1.25 / 0.5 = 2.5, so arrivals 0, 50, 100 become 0, 125, 250 and 500 / (250 × 4) = 0.5.
        let w = try small().scaled(toLoad: 0.5, gpus: 4)
        #expect(w.jobs.map(\.submit) == [0, 125, 250])
        #expect(w.offeredLoad(gpus: 4) == 0.5)
        #expect(w.jobs.map(\.duration) == [100, 200, 25])
        #expect(w.jobs.map(\.id) == ["a", "b", "c"])
    }

    @Test func scalesAboutTheFirstArrival() throws {
        // Target 0.8 on 4 GPUs: factor 1.25 / 0.8 = 1.5625; from 10: 10, 10 + 78.125, 10 + 156.25; 500 / (156.25 × 4) = 0.8.
        let w = try small(start: 10).scaled(toLoad: 0.8, gpus: 4)
        #expect(w.jobs.map(\.submit) == [10, 88.125, 166.25])
        #expect(w.offeredLoad(gpus: 4) == 0.8)
        // Compressing: target 2.5 on 4 GPUs halves the gaps.
        #expect(try small(start: 10).scaled(toLoad: 2.5, gpus: 4).jobs.map(\.submit) == [10, 35, 60])
        // 48 GPUs: load 500 / 4800; target 0.8 is reached up to rounding.
        let big = try small().scaled(toLoad: 0.8, gpus: 48)
        #expect(abs(big.offeredLoad(gpus: 48)! - 0.8) < 1e-12)
    }

    @Test func refusesWhatCannotBeScaled() {
        let one = Workload(
            jobs: [TraceJob(id: "a", submit: 0, duration: 1, request: ResourceRequest(gpus: 1))], provenance: "")
        #expect(throws: ConfigError.self) { try one.scaled(toLoad: 0.5, gpus: 4) }
        let cpuOnly = Workload(
            jobs: [
                TraceJob(id: "a", submit: 0, duration: 1, request: ResourceRequest(gpus: 0)),
                TraceJob(id: "b", submit: 5, duration: 1, request: ResourceRequest(cpus: 4)),
            ], provenance: "")
        #expect(throws: ConfigError.self) { try cpuOnly.scaled(toLoad: 0.5, gpus: 4) }
        #expect(throws: ConfigError.self) { try small().scaled(toLoad: 0, gpus: 4) }
        #expect(throws: ConfigError.self) { try small().scaled(toLoad: 0.5, gpus: 0) }
    }

    @Test func scaledGeneratedWorkloadHitsTheTarget() throws {
        let w = try WorkloadGenerator(profile: .philly, seed: 9).generate(jobs: 10_000).scaled(toLoad: 0.8, gpus: 48)
        #expect(abs(w.offeredLoad(gpus: 48)! - 0.8) < 1e-9)
        #expect(w.provenance.contains("scaled"))
    }
}
