/// A replayed workload brings its own tenants: a published trace's accounts (Philly's virtual clusters)
/// are not the cluster's. Capacity planning gives them a place rather than refusing every job.
extension ClusterSpec {
    /// This spec with the accounts among `names` that it does not declare added, each with a share of 1 and
    /// no limits, and their names (sorted). A spec that declares no accounts accepts any and is returned as
    /// it is.
    public func addingAccounts(_ names: some Sequence<String>) -> (spec: ClusterSpec, added: [String]) {
        guard !accounts.isEmpty else { return (self, []) }
        let known = Set(accounts.map(\.name))
        let added = Set(names.filter { !$0.isEmpty && !known.contains($0) }).sorted()
        var spec = self
        spec.accounts += added.map { Account(name: $0, description: "from the workload", share: 1, parent: nil) }
        return (spec, added)
    }
}
