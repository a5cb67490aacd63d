/// What one user may put before the controller (cluster.yaml's `security`), so that no user can starve
/// the others: how many jobs at once, and how fast. Admins are held to the job count but not the rate.
public struct AdmissionLimits: Hashable, Sendable, Codable {
    /// Pending and running jobs a user may have at once, each array task counted (Slurm's MaxSubmitJobs).
    public var maxJobsPerUser: Int = 20_000
    /// Submissions (a job or a whole array) a user may make per minute, in bursts of as many.
    public var submissionsPerMinute: Int = 1_200

    public init(maxJobsPerUser: Int = 20_000, submissionsPerMinute: Int = 1_200) {
        self.maxJobsPerUser = maxJobsPerUser
        self.submissionsPerMinute = submissionsPerMinute
    }
}
