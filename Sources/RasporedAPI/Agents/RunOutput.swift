/// Output travels from agent to controller in appended chunks:
/// `POST /v1/agents/{node}/runs/{runId}/output?offset=N` with the raw bytes as the body. `offset` is where
/// the chunk starts in the run's output; the controller appends when it matches what it holds, ignores a
/// chunk it already has, and refuses a gap with 409 and an `OutputPosition` saying where to resume.
/// `GET /v1/jobs/{id}/output?offset=N` reads it back (the latest run's, from the job's first node).
public struct OutputPosition: Hashable, Sendable, Codable {
    /// Bytes the controller holds for the run.
    public var size: Int64

    public init(size: Int64) { self.size = size }
}

/// Headers of `GET /v1/jobs/{id}/output`.
public enum OutputHeaders {
    /// The size of the output held so far, in bytes (also the offset to ask for next).
    public static let size = "X-Raspored-Output-Size"
    /// "true" once the job has ended and its output is complete: a follower may stop.
    public static let complete = "X-Raspored-Output-Complete"
    /// The job's state.
    public static let state = "X-Raspored-Job-State"
}
