/// What a user submits: the parts of a job its owner chooses. The controller turns it into a `Job`.
public struct JobSubmission: Hashable, Sendable, Codable {
    public var name: String
    /// The owner (from the token that submitted it, never from the request body).
    public var user: String
    /// The account charged, after the controller applied the user's default.
    public var account: String
    /// The partition, after the controller applied the cluster's default.
    public var partition: String
    /// The request as submitted; `account`, `partition` and `timeLimit` above are the resolved values.
    public var request: ResourceRequest
    /// The time limit, after the partition's default was applied.
    public var timeLimit: TimeSpan
    /// Fail the job, rather than requeue it, when its node is lost.
    public var noRequeue: Bool
    /// The program and its arguments.
    public var command: [String]
    /// Working directory on the node.
    public var workdir: String
    /// Output file template (the agent expands `%j` and friends); nil for the default.
    public var output: String?
    /// Which task of a job array this is; nil for a job not in an array. The store sets `arrayJobId` to the
    /// id of the array's first task when it records the array.
    public var array: ArrayTask?
    /// What the job waits for besides resources; nil for none.
    public var dependency: JobDependency?
    /// The environment the submitter exported into the job, name to value (the scheduler's own variables are
    /// added when it runs).
    public var environment: [String: String]
    /// A hold, a begin time, a nice value, and how its run is handled.
    public var controls: JobControls

    public init(
        name: String, user: String, account: String, partition: String, request: ResourceRequest,
        timeLimit: TimeSpan, noRequeue: Bool = false, command: [String], workdir: String, output: String? = nil,
        array: ArrayTask? = nil, dependency: JobDependency? = nil, environment: [String: String] = [:],
        controls: JobControls = JobControls()
    ) {
        self.name = name
        self.user = user
        self.account = account
        self.partition = partition
        self.request = request
        self.timeLimit = timeLimit
        self.noRequeue = noRequeue
        self.command = command
        self.workdir = workdir
        self.output = output
        self.array = array
        self.dependency = dependency
        self.environment = environment
        self.controls = controls
    }
}
