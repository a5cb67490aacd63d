/// Whether the agent binds a run's CPUs and NUMA memory, or only tells the job about them.
///
/// An agent started with `--topology FILE` stands in for a node whose hardware is not this machine (a DGX
/// H200 described by its hwloc export, on a laptop): the allocation's CPUs and NUMA nodes do not exist here,
/// so binding to them would fail every job. `auto` binds exactly when discovery was live.
public enum BindingMode: String, Sendable, Hashable, CaseIterable {
    /// `exact` with live discovery, `none` with a topology file.
    case auto
    /// Bind to the allocation's CPUs and NUMA memory (a job whose binding fails does not run).
    case exact
    /// Run unbound; the allocation is still exported (`RASPORED_CPUS`, `RASPORED_MEMS`, `CUDA_VISIBLE_DEVICES`).
    case none

    /// Whether jobs are bound, for an agent whose topology came from a file (`standIn`) or not.
    public func binds(standIn: Bool) -> Bool {
        switch self {
        case .auto: !standIn
        case .exact: true
        case .none: false
        }
    }
}
