import RasporedAPI
import Scheduler

/// Turns the controller's `RunAssignment` into the launcher's `LaunchRequest` on this node.
///
/// The engine names resources in its own terms: cores by hwloc logical index, NUMA domains by position
/// (0, 1, … in OS-index order). The launcher binds OS CPUs and OS NUMA nodes, so both are translated through
/// what discovery found (`DiscoveredNode.coreList`, `numaNodes`), never through the engine's idea of the
/// node: the two can only differ on a node that failed its check, and then discovery is the truth.
public struct AssignmentMapping: Sendable {
    public var node: DiscoveredNode
    /// Whether requests bind (see `BindingMode`).
    public var bind: Bool
    /// What a job needs to start steps in itself (`srun`): the directory with `srun` and `schedctl`, put
    /// first on its PATH, and the controller's URL (and CA file) as this agent reaches it. Only for runs whose
    /// assignment carries a job credential.
    public var steps: StepTools?

    public init(node: DiscoveredNode, bind: Bool) {
        self.node = node
        self.bind = bind
    }

    /// The default output template when the assignment has none.
    public static let defaultOutput = "raspored-%j.out"

    /// The launch request for `assignment`; a `LaunchError` naming the resource when the allocation does not
    /// fit this node (a core or NUMA domain it does not have).
    public func request(for assignment: RunAssignment) throws -> LaunchRequest {
        let allocation = assignment.allocation
        var request = LaunchRequest(
            jobId: assignment.runId, name: assignment.name, command: assignment.command,
            workingDirectory: assignment.workdir)
        request.userJobId = String(assignment.jobId)
        request.output = assignment.output ?? Self.defaultOutput
        request.error = assignment.error
        request.truncateOutput = assignment.truncateOutput ?? false
        request.warning = assignment.warning
        request.killGrace = assignment.killGraceSeconds.map { .seconds(max(0, $0)) }
        request.gpus = allocation.gpus
        request.gpuVendor = node.gpuVendor
        request.gpuUUIDs = node.gpuUUIDs
        let cores = try cores(allocation.cores)
        request.cpus = cores.flatMap(\.cpus).sorted()
        request.coreCount = cores.count
        request.mems = try numaNodes(allocation.numa)
        var seen = Set<String>()
        request.nics = allocation.nics.filter { seen.insert($0).inserted }
        request.nodeList = assignment.nodeList
        request.nodeRank = assignment.nodeRank
        if assignment.timeLimitSeconds > 0 { request.timeLimit = .seconds(assignment.timeLimitSeconds) }
        // The assignment's environment is the job's (the submitter's, with the scheduler's variables), never
        // the agent's own: set even when empty, so the launcher does not fall back to the agent's.
        request.environment = assignment.environment
        if let tools = steps, let credential = assignment.stepCredential {
            request.environment = tools.environment(over: assignment.environment, credential: credential)
        }
        request.array = assignment.array
        request.tasks = assignment.tasks
        request.bind = bind
        request.user = assignment.user
        request.allowRoot = assignment.allowRoot ?? false
        let memory = allocation.memoryBytes.values.reduce(UInt64(0)) { sum, bytes in
            let (total, overflow) = sum.addingReportingOverflow(bytes)
            return overflow ? .max : total
        }
        request.memoryLimitBytes = memory > 0 ? memory : nil
        return request
    }

    /// The discovered cores for engine core ids (hwloc logical indexes).
    func cores(_ ids: [Int]) throws -> [DiscoveredNode.Core] {
        let byIndex = Dictionary(node.coreList.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        return try ids.map { id in
            guard let core = byIndex[id] else {
                let known = RangeList.compact(node.coreList.map(\.index).sorted())
                throw LaunchError("core \(id) is not on this node (cores \(known))")
            }
            return core
        }
    }

    /// OS NUMA indexes for engine NUMA positions (0, 1, … in OS-index order).
    func numaNodes(_ positions: [Int]) throws -> [Int] {
        let osIndexes = node.numaNodes.map(\.index).sorted()
        return try positions.map { position in
            guard osIndexes.indices.contains(position) else {
                throw LaunchError(
                    "NUMA domain \(position) is not on this node (it has \(osIndexes.count) NUMA node(s))")
            }
            return osIndexes[position]
        }
    }
}
