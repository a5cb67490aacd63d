import Foundation
import RasporedAPI

/// Where a job is in its life, as the agent reports it to the controller.
public enum JobState: String, Sendable, Hashable, Codable {
    case running
    /// Exited with status 0.
    case completed
    /// Exited non-zero or was killed by a signal nobody asked for.
    case failed
    /// Stopped on request (`cancel`).
    case cancelled
    /// Stopped because it reached its time limit.
    case timedOut
    /// The agent can no longer see it and does not know how it ended (its process vanished while the
    /// agent was not watching).
    case lost

    /// Whether the job has ended.
    public var isFinal: Bool { self != .running }
}

/// Everything the agent knows about one job; one JSON file per job in the state directory.
public struct JobRecord: Sendable, Hashable, Codable {
    /// The launcher's key (the run id for a run the controller assigned).
    public var jobId: String
    /// The job id people know, when it differs from `jobId` (run `42.1` is job 42).
    public var userJobId: String?
    public var name: String
    public var command: [String]
    public var workingDirectory: String
    /// Output files after template expansion; `stderrPath` nil means stderr goes to `stdoutPath`.
    public var stdoutPath: String
    public var stderrPath: String?
    public var gpus: [Int]
    /// Who made the node's GPUs and their UUIDs by index, for its steps' variables (nil in records written
    /// before these fields existed: NVIDIA's, without UUIDs).
    public var gpuVendor: GPUVendor?
    public var gpuUUIDs: [Int: String]?
    /// Logical CPUs (OS indexes) the job is bound to.
    public var cpus: [Int]
    /// NUMA nodes (OS indexes) its memory is bound to.
    public var mems: [Int]
    /// False when `cpus` and `mems` were only exported, not bound (a stand-in node); nil in records written
    /// before this field existed, which were bound.
    public var bound: Bool?
    public var pid: Int32?
    /// The job's process group (equal to `pid`: the job leads its own group).
    public var processGroup: Int32?
    /// The process's start time in clock ticks since boot (/proc/PID/stat field 22), so a restarted
    /// agent does not mistake a new process that reused the pid for the job.
    public var processStartTicks: UInt64?
    public var startedAt: Date
    /// When the time limit runs out; a restarted agent re-arms it from here.
    public var deadline: Date?
    public var endedAt: Date?
    public var state: JobState
    public var exitCode: Int32?
    /// The signal that ended the job's main process, if one did.
    public var signal: Int32?
    /// Why it ended the way it did, in words ("time limit 5s reached", "process vanished ...").
    public var reason: String?
    /// The Unix account it ran as (nil: the agent's own user, as `run-local` and `--run-as agent` run jobs).
    public var user: String?
    public var uid: UInt32?
    /// Its cgroup, while it exists (nil for a job run without confinement).
    public var cgroup: JobCgroup?
    /// What it used, read from its cgroup when it ended.
    public var usage: CgroupUsage?
    /// True when the job's own command never ran: `schedagent exec-bound` could not bind or execute it
    /// (exit status 127, `reason` says why).
    public var execFailed: Bool?
}
