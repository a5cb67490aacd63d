import Foundation
import RasporedAPI
import Scheduler

extension ControllerCore {
    /// How long a step waits for its agents to dial back before it fails.
    static let stepDialSeconds = 30.0

    /// Who may use the steps of job `jobId`: a bearer secret that is the job owner's user or admin token,
    /// or the job's own credential (`rsj_…`, `StepCredential`), while the job runs. Returns the job's
    /// current run id. Another user's token is a 403, whoever they are: a step runs as the job's owner.
    public func authorizeSteps(jobId: Int64, secret: String) throws(ControllerError) -> String {
        let job = live[jobId]
        if secret.hasPrefix(StepCredential.prefix) {
            guard let job, job.state == .running,
                stepCredential.verify(secret, runId: RunId.make(job: job.id, attempt: job.requeueCount))
            else {
                throw ControllerError(.unauthorized, "this job credential is not job \(jobId)'s, or its run has ended")
            }
            return RunId.make(job: job.id, attempt: job.requeueCount)
        }
        guard let p = try authenticate(secret) else { throw ControllerError(.unauthorized, "unknown token") }
        guard p.role != .agent else { throw ControllerError(.forbidden, "an agent token cannot open steps") }
        guard let job else { throw ControllerError(.notFound, "no running job \(jobId)") }
        guard job.user == p.user else {
            throw ControllerError(.forbidden, "job \(jobId) belongs to \(job.user); only its owner may run steps in it")
        }
        guard job.state == .running else {
            throw ControllerError(.conflict, "job \(jobId) is \(job.state.rawValue), not running")
        }
        return RunId.make(job: job.id, attempt: job.requeueCount)
    }

    /// Opens a step of the running job `jobId` on the nodes it names (all of the job's by default; its
    /// first for a pty): records it, and wakes those nodes' long polls with the order. A step that has not got
    /// all its agents after `stepDialSeconds` fails.
    public func openStep(jobId: Int64, runId: String, _ request: StepRequest) throws(ControllerError) -> StepStarted {
        if let why = request.problem { throw ControllerError(.badRequest, why) }
        guard let job = live[jobId], job.state == .running,
            RunId.make(job: job.id, attempt: job.requeueCount) == runId
        else { throw ControllerError(.conflict, "job \(jobId) is no longer running") }
        let nodes = request.nodes ?? (request.pty ? Array(job.nodes.prefix(1)) : job.nodes)
        if let other = nodes.first(where: { !job.nodes.contains($0) }) {
            throw ControllerError(
                .badRequest, "job \(jobId) runs on \(job.nodes.joined(separator: ",")), not on \(other)")
        }
        guard !nodes.isEmpty else { throw ControllerError(.conflict, "job \(jobId) has no nodes") }
        for share in job.allocation?.nodes ?? [] where nodes.contains(share.node) {
            if let why = request.taskProblem(gpus: share.gpus.count, cores: share.cores.count, node: share.node) {
                throw ControllerError(.badRequest, why)
            }
        }
        let order = try steps.open(jobId: jobId, runId: runId, nodes: nodes, request: request, at: clock())
        for node in nodes { waiters.wake(node) }
        let key = order.key
        Task {
            try? await Task.sleep(for: .seconds(Self.stepDialSeconds))
            await self.stepNotDialled(key)
        }
        logger.info(
            "step opened",
            metadata: ["step": "\(key)", "nodes": "\(nodes.joined(separator: ","))", "pty": "\(request.pty)"])
        return StepStarted(jobId: jobId, step: order.step, nodes: nodes)
    }

    private func stepNotDialled(_ key: String) {
        let missing = steps.missing(key)
        guard !missing.isEmpty else { return }
        steps.giveUp(
            key,
            reason:
                "the agent of \(missing.joined(separator: ", ")) did not connect within \(Int(Self.stepDialSeconds)) s",
            at: clock())
    }

    /// Waits for the agents of step `key`, in the step's node order (nil: not all came in time).
    func awaitAgents(_ key: String) async -> [AgentLeg]? {
        await withCheckedContinuation { (c: CheckedContinuation<[AgentLeg]?, Never>) in steps.park(key, c) }
    }

    /// `node`'s agent dialled back for step `key`; false when no such step waits for it.
    func agentDialled(_ key: String, node: String, by p: Principal, leg: AgentLeg) throws(ControllerError) -> Bool {
        try authorizeAgent(p, node: node)
        return steps.connect(key, node: node, leg: leg)
    }

    /// Why step `key` ended, as recorded.
    func stepReason(_ key: String) -> String? {
        let parts = key.split(separator: ".")
        guard parts.count == 2, let job = Int64(parts[0]), let step = Int(parts[1]) else { return nil }
        return steps.steps(of: job).first { $0.step == step }?.reason
    }

    /// Records how step `key` ended.
    func stepEnded(_ key: String, state: StepView.State, exit: StepExit?) {
        steps.end(key, state: state, exit: exit, at: clock())
        logger.info(
            "step ended",
            metadata: ["step": "\(key)", "state": "\(state.rawValue)", "status": "\(exit?.status ?? -1)"])
    }

    /// The steps of job `jobId`, for its owner or an admin.
    public func steps(of jobId: Int64, by p: Principal) throws(ControllerError) -> StepList {
        let owner = live[jobId]?.user ?? (try? store.job(jobId, environment: false))?.user
        guard let owner else { throw ControllerError(.notFound, "no job \(jobId)") }
        guard p.role == .admin || (p.role == .user && p.user == owner) else {
            throw ControllerError(.forbidden, "job \(jobId) belongs to \(owner)")
        }
        return StepList(steps: steps.steps(of: jobId))
    }
}
