/// A lifecycle event a job cannot take in its state, with a sentence that says why.
public struct JobTransitionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Why the event was refused.
    public enum Reason: Hashable, Sendable {
        /// The event makes no sense in the job's state (cancelling a completed job).
        case wrongState
        /// A stop of this kind is already under way.
        case alreadyStopping(JobStopRequest.Kind)
        /// The job was submitted with no-requeue.
        case noRequeue
        /// The lost node is not one the job runs on.
        case notOnNode(String)
        /// A start without any node.
        case emptyAllocation
    }

    public var jobId: Int64
    public var state: JobState
    public var event: JobLifecycle.Event
    public var reason: Reason

    public init(jobId: Int64, state: JobState, event: JobLifecycle.Event, reason: Reason) {
        self.jobId = jobId
        self.state = state
        self.event = event
        self.reason = reason
    }

    /// "job 42 is completed; it cannot be cancelled".
    public var description: String {
        let job = "job \(jobId)"
        switch reason {
        case .wrongState:
            return "\(job) is \(state); it cannot \(event.verbPhrase)"
        case let .alreadyStopping(kind):
            return "\(job) is already \(kind.progressPhrase); it cannot \(event.verbPhrase)"
        case .noRequeue:
            return "\(job) was submitted with no-requeue; it cannot \(event.verbPhrase)"
        case let .notOnNode(node):
            return "\(job) does not run on \(node); it cannot lose that node"
        case .emptyAllocation:
            return "\(job) cannot be started on no nodes: its allocation is empty"
        }
    }
}

extension JobLifecycle.Event {
    /// What the event would do to a job, after "it cannot".
    var verbPhrase: String {
        switch self {
        case .start: "be started"
        case .exit: "exit"
        case .cancel: "be cancelled"
        case .timeLimit: "reach its time limit"
        case .nodeLost: "lose its node"
        case .requeue: "be requeued"
        }
    }
}

extension JobStopRequest.Kind {
    /// The stop under way, after "is already".
    var progressPhrase: String {
        switch self {
        case .cancel: "being cancelled"
        case .timeLimit: "being stopped at its time limit"
        case .requeue: "being requeued"
        }
    }
}
