/// What a job's environment gets so that `srun` (and `schedctl run`) inside it start steps in it: the
/// directory holding `srun` and `schedctl` first on its PATH, the job's credential as `RASPORED_JOB_TOKEN`
/// (it starts steps in this job's current run and does nothing else: docs/api.md, "Steps"), and the
/// controller as the agent reaches it, `RASPORED_STEP_CONTROLLER` (with `RASPORED_STEP_CA`, the agent's CA
/// file, for an https controller). The submitter's own `RASPORED_CONTROLLER`, if exported, is left as it is.
public struct StepTools: Sendable, Hashable {
    public var directory: String
    public var controller: String
    public var caFile: String?

    public init(directory: String, controller: String, caFile: String? = nil) {
        self.directory = directory
        self.controller = controller
        self.caFile = caFile
    }

    /// `path` (or the default PATH, when nil) with `directory` first.
    public static func path(_ directory: String, over path: String?) -> String {
        guard let path else { return directory + ":" + JobEnvironment.defaultPath }
        return path.split(separator: ":").first.map(String.init) == directory ? path : directory + ":" + path
    }

    /// `base` with these variables over it.
    public func environment(over base: [String: String], credential: String) -> [String: String] {
        var environment = base
        environment["PATH"] = Self.path(directory, over: base["PATH"])
        environment["RASPORED_JOB_TOKEN"] = credential
        environment["RASPORED_STEP_CONTROLLER"] = controller
        environment["RASPORED_STEP_CA"] = caFile
        return environment
    }
}
