import RasporedAPI
import Scheduler

extension ControllerCore {
    /// The metrics page: gauges from the state now, counters and histograms as they stand.
    public func metricsText() throws(ControllerError) -> String {
        let counts = try stored { () throws(StateStoreError) in try store.jobCounts() }
        var byState = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0.rawValue, 0) })
        for (s, n) in counts { byState[s.rawValue] = n }
        let views = nodes()
        let summary = state.freeShapes()
        let snapshot = MetricsSnapshot(
            jobsByState: byState,
            nodes: views.map { v in
                MetricsSnapshot.Node(
                    name: v.name, state: v.state.rawValue, gpusAllocated: v.gpus.reduce(0) { $0 + $1.used },
                    gpusFree: v.gpus.reduce(0) { $0 + $1.free }, heartbeatAge: v.lastHeartbeatAge)
            },
            freeShapes: summary.fits, totalGPUs: summary.totalGPUs, fragmentation: summary.fragmentation,
            pending: pendingIds.count)
        var byAccount = Dictionary(uniqueKeysWithValues: spec.accounts.map { ($0.name, 0) })
        for job in live.values where job.state == .running {
            byAccount[job.account, default: 0] += job.allocation?.nodes.reduce(0) { $0 + $1.gpus.count } ?? 0
        }
        var withAccounts = snapshot
        withAccounts.gpusByAccount = byAccount
        let idle = idleGPUJobs
        withAccounts.idleGPUJobs = idle.count
        withAccounts.idleGPUs = idle.reduce(0) { $0 + $1.gpus }
        return metrics.render(withAccounts)
    }
}
