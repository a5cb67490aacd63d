/// Where a job is in its life, as the controller records it.
///
/// Requeueing is not a state: it is an event that returns a job to `pending` and counts it in
/// `Job.requeueCount`, so a requeued job waits, is placed and runs like any other pending job, and
/// "how often was it requeued" is a number rather than a history to replay (docs/controller-store.md).
public enum JobState: String, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Waiting for resources (or requeued and waiting again).
    case pending
    /// Placed and started; its allocation is held until its processes are known to be gone.
    case running
    /// Exited with status 0.
    case completed
    /// Exited non-zero, was killed by a signal nobody asked for, or lost its node without requeue.
    case failed
    /// Stopped on request.
    case cancelled
    /// Stopped because it reached its time limit.
    case timeout

    /// Whether the job has ended; an ended job takes no more events.
    public var isFinal: Bool {
        switch self {
        case .pending, .running: false
        case .completed, .failed, .cancelled, .timeout: true
        }
    }

    public var description: String { rawValue }
}
