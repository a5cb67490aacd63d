/// A list of jobs to replay, in order of arrival, with what could not be replayed and where it came from.
public struct Workload: Hashable, Sendable {
    /// Jobs sorted by submit time; ties keep the order they were given in.
    public internal(set) var jobs: [TraceJob]
    /// Records of the source that are not in `jobs`, counted by reason, e.g.
    /// "fractional GPU (GPU sharing not supported)": 3078. Nothing is dropped without being counted here.
    public var notReplayable: [String: Int]
    /// Where the jobs came from, in words: file, reader or generator, seed, scaling.
    public var provenance: String

    /// A workload of `jobs`, sorted stably by submit time.
    public init(jobs: [TraceJob], notReplayable: [String: Int] = [:], provenance: String) {
        self.jobs = jobs.enumerated().sorted { a, b in
            a.element.submit != b.element.submit ? a.element.submit < b.element.submit : a.offset < b.offset
        }.map(\.element)
        self.notReplayable = notReplayable
        self.provenance = provenance
    }

    /// Source records counted in `notReplayable`, all reasons together.
    public var notReplayableCount: Int { notReplayable.values.reduce(0, +) }

    /// Seconds from the first arrival to the last; 0 with fewer than two jobs.
    public var arrivalSpan: Double {
        guard let first = jobs.first, let last = jobs.last else { return 0 }
        return last.submit - first.submit
    }

    /// GPU-seconds the jobs ask for: Σ gpus × duration (jobs asking by GPU memory count 0 GPUs).
    public var gpuSeconds: Double { jobs.reduce(0) { $0 + Double($1.gpuCount) * $1.duration } }

    /// Offered load on a cluster of `gpus` GPUs: gpuSeconds / (arrivalSpan × gpus); nil when the span
    /// or the GPU count is 0.
    public func offeredLoad(gpus: Int) -> Double? {
        let span = arrivalSpan
        guard span > 0, gpus > 0 else { return nil }
        return gpuSeconds / (span * Double(gpus))
    }
}
