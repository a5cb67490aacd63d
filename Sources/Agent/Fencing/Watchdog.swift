import Foundation
import Glibc
import RasporedAPI

/// `schedagent watchdog`: a small process beside the agent that stops the node's runs when the agent's lease
/// (`STATE/lease.json`) has lapsed and the agent cannot do it itself, because it is stopped (SIGSTOP), hung
/// or gone.
///
/// Every poll it reads the lease file and, once the lease has run out:
/// - when the agent is gone or stopped (state `T`), SIGTERMs the process group of every running run recorded
///   in `STATE/jobs/*.json` (controller runs only; once per run);
/// - from `deadline + killGrace` on, SIGKILLs whatever is left of those groups, agent alive or not: the
///   backstop for an agent that is running but hung.
/// A live, running agent SIGTERMs its runs itself at the lapse, so they are not signalled twice.
///
/// It exits when another watchdog holds the lease file (a newer agent started), or when its agent is gone
/// and no recorded run is alive any more. It outlives an agent that was stopped or killed, so the runs of
/// an agent that never comes back are stopped at its lease, before the controller requeues them.
public struct Watchdog: Sendable {
    public let stateDirectory: URL
    public let agentPid: Int32
    public let pollInterval: Duration
    private let agentStartTicks: UInt64?
    private let me = getpid()

    public init(stateDirectory: URL, agentPid: Int32, pollInterval: Duration = .milliseconds(100)) {
        self.stateDirectory = stateDirectory
        self.agentPid = agentPid
        self.pollInterval = pollInterval
        agentStartTicks = ProcessProbe.startTicks(agentPid)
    }

    /// What one poll did.
    public struct Step: Sendable, Hashable {
        public var terminated: [String] = []
        public var killed: [String] = []
        /// Nothing left to guard, or another watchdog holds the lease: exit.
        public var done = false
    }

    /// Runs until `step` says it is done.
    public func run() async {
        log("watching the lease of agent \(agentPid) in \(stateDirectory.path)")
        var signalled: Set<String> = []
        while true {
            let step = self.step(now: BootClock.now(), signalled: &signalled)
            if step.done { return }
            try? await Task.sleep(for: pollInterval)
        }
    }

    /// One poll at boot-clock time `now`; `signalled` are the runs already sent SIGTERM.
    public func step(now: Double, signalled: inout Set<String>) -> Step {
        var step = Step()
        let lease = LeaseFile.read(from: LeaseFile.url(in: stateDirectory))
        if let holder = lease?.watchdogPid, holder != me, lease?.agentPid != agentPid {
            log("agent \(lease!.agentPid) and its watchdog \(holder) hold the lease now; exiting")
            step.done = true
            return step
        }
        let agentAlive = ProcessProbe.isAlive(agentPid, startTicks: agentStartTicks)
        // While the agent lives and its lease holds there is nothing to do: the runs are read only after.
        if agentAlive, lease.map({ now < $0.deadline }) ?? true { return step }
        let runs = liveRuns()
        if !agentAlive && runs.isEmpty {
            step.done = true
            return step
        }
        guard let lease, now >= lease.deadline else { return step }
        let state = ProcessProbe.stat(agentPid)?.state
        let agentStopped = !agentAlive || state == "T" || state == "t"
        let late = now - lease.deadline
        for run in runs {
            guard let group = run.processGroup else { continue }
            if now >= lease.deadline + lease.terms.killGraceSeconds {
                // The run's cgroup holds what left its process group too (a double-forked daemon).
                let inCgroup = run.cgroup.map { !$0.processes.isEmpty } ?? false
                if inCgroup, let cgroup = run.cgroup { Confinement.kill(cgroup, timeout: .milliseconds(200)) }
                if ProcessProbe.killGroup(group, startedNoEarlierThan: run.processStartTicks, signal: SIGKILL)
                    || inCgroup
                {
                    step.killed.append(run.jobId)
                    log(
                        "lease lapsed \(SecondsText.of(late)) s ago (no word from the controller for "
                            + "\(SecondsText.of(lease.terms.leaseSeconds)) s): SIGKILL to run \(run.jobId) (process group \(group))"
                    )
                }
            } else if agentStopped, !signalled.contains(run.jobId) {
                signalled.insert(run.jobId)
                if ProcessProbe.killGroup(group, startedNoEarlierThan: run.processStartTicks, signal: SIGTERM) {
                    step.terminated.append(run.jobId)
                    log(
                        "lease lapsed (no word from the controller for \(SecondsText.of(lease.terms.leaseSeconds)) s) and "
                            + "agent \(agentPid) is \(agentAlive ? "stopped" : "gone"): SIGTERM to run \(run.jobId) "
                            + "(process group \(group))")
                }
            }
        }
        return step
    }

    /// The controller runs recorded `running` whose process group or cgroup still has live members.
    func liveRuns() -> [JobRecord] {
        let records = (try? StateDirectory.records(in: stateDirectory).records) ?? []
        return records.compactMap { record -> JobRecord? in
            guard record.state == .running, RunId.parse(record.jobId) != nil,
                let group = record.processGroup,
                ProcessProbe.groupIsAlive(group) || !(record.cgroup?.processes.isEmpty ?? true)
            else { return nil }
            return record
        }
    }

    private func log(_ message: String) {
        FileHandle.standardError.write(Data("schedagent watchdog: \(message)\n".utf8))
    }
}

extension Watchdog {
    /// Starts `EXECUTABLE watchdog --state-dir DIR --agent-pid PID` for this process, its stderr this
    /// process's. Returns its pid.
    public static func spawn(executable: String, stateDirectory: String) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = ["watchdog", "--state-dir", stateDirectory, "--agent-pid", String(getpid())]
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        return p.processIdentifier
    }
}
