/// The account tree (cluster.yaml `accounts`: institutes, projects under them) as accounting reads it.
extension ClusterSpec {
    /// The accounts `user` coordinates: those naming them in `coordinators`, and every account under those.
    public func accounts(coordinatedBy user: String) -> Set<String> {
        var out = Set(accounts.filter { $0.coordinators.contains(user) }.map(\.name))
        // Children join until nothing changes; a tree of n accounts settles in at most n rounds.
        var grew = !out.isEmpty
        while grew {
            grew = false
            for a in accounts where !out.contains(a.name) {
                if let p = a.parent, out.contains(p) {
                    out.insert(a.name)
                    grew = true
                }
            }
        }
        return out
    }

    /// `account` and the accounts above it, nearest first (just `account` for one cluster.yaml does not
    /// name, or a top-level one). A parent named twice on the way up (a cycle) ends the walk.
    public func accountPath(_ account: String) -> [String] {
        var path = [account]
        var seen: Set<String> = [account]
        var current = self.account(named: account)
        while let parent = current?.parent, seen.insert(parent).inserted {
            path.append(parent)
            current = self.account(named: parent)
        }
        return path
    }
}
