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
        return metrics.render(snapshot)
    }
}
