import Testing

@testable import Scheduler

/// Milliseconds as the controller records them, and the whole seconds the engine plans in.
@Suite struct TimestampTests {
    @Test(arguments: [
        (1_700_000_123_456 as Int64, 1_700_000_123 as Int64), (1_700_000_123_000, 1_700_000_123),
        (999, 0), (0, 0), (-1, -1), (-1000, -1), (-1001, -2),
    ])
    func secondsAreTheFloor(millis: Int64, seconds: Int64) {
        #expect(Timestamp(millis: millis).seconds == seconds)
        #expect(Timestamp.seconds(ofMillis: millis) == seconds)
    }

    @Test func aClocksSecondsKeepTheirMillisecond() {
        #expect(Timestamp(epochSeconds: 1_700_000_100.999)?.millis == 1_700_000_100_999)
        #expect(Timestamp(epochSeconds: 1_700_000_123.4567)?.millis == 1_700_000_123_456)
        #expect(Timestamp(epochSeconds: 12.0005)?.millis == 12_000)
        #expect(Timestamp(epochSeconds: -0.0005)?.millis == -1)
        #expect(Timestamp(epochSeconds: .nan) == nil)
        #expect(Timestamp(epochSeconds: 1e300) == nil)
        #expect(Timestamp(millis: 1_700_000_123_045).description == "1700000123.045")
    }

    @Test func lifecycleEventsRecordMillisecondsAndARequeueForgetsTheLastRelease() throws {
        var job = Job(
            id: 7, name: "train", user: "ana", account: "ivi", partition: "gpu", request: ResourceRequest(gpus: 1),
            timeLimit: .hours(1), submitted: Timestamp(millis: 1_000_250), command: ["true"], workdir: "/")
        #expect(job.submitTime == 1000)
        let allocation = AllocationView(
            nodes: [
                NodeAllocationView(
                    node: "dgx01", gpus: [0], cores: [0], cpus: [0], numa: [0], memoryBytes: [:], nics: [],
                    scratchBytes: 0, exclusive: false)
            ], gpuModel: "H200", sharedStorageBytes: 0)
        job = try JobLifecycle.apply(.start(allocation: allocation, at: Timestamp(millis: 1_002_999)), to: job).job
        #expect(job.startMillis == 1_002_999)
        #expect(job.startTime == 1002)
        job.releasedMillis = 1_000_000  // as a controller leaves it after an earlier run
        let lost = try JobLifecycle.apply(
            .nodeLost(node: "dgx01", requeue: true, at: Timestamp(millis: 1_010_001)), to: job)
        #expect(lost.job.state == .pending)
        #expect(lost.job.startMillis == nil)
        #expect(lost.job.releasedMillis == nil)
        job = try JobLifecycle.apply(.start(allocation: allocation, at: Timestamp(millis: 1_020_000)), to: lost.job).job
        let ended = try JobLifecycle.apply(.exit(code: 0, signal: nil, at: Timestamp(millis: 1_080_500)), to: job).job
        #expect(ended.state == .completed)
        #expect(ended.startMillis == 1_020_000)
        #expect(ended.endMillis == 1_080_500)
        #expect(ended.endTime == 1080)
    }
}
