import Logging
import RasporedAPI
import Scheduler

extension ControllerCore {
    /// Replaces the cluster description (nodes added, partitions or accounts changed) without losing jobs.
    /// Refused, with nothing changed, when a running job's node would disappear or change type, or when a
    /// pending job could never run under the new description.
    public func reloadCluster(_ new: ClusterSpec, by p: Principal) throws(ControllerError) -> [String] {
        try requireAdmin(p, to: "reload the cluster description")
        let target = "cluster description"
        return try audited(p, .clusterReload, target) { (note: inout AuditNote) throws(ControllerError) in
            let added = try apply(new)
            note.detail = Self.reloadDetail(new, added)
            return added
        }
    }

    /// Reads `file` and applies it as `reloadCluster(_:by:)` does; a file that does not parse is refused
    /// (400) with its own error. Returns the description read and the nodes it added.
    public func reloadCluster(file: String, by p: Principal) throws(ControllerError) -> (ClusterSpec, [String]) {
        try requireAdmin(p, to: "reload the cluster description")
        return try audited(p, .clusterReload, file) { (note: inout AuditNote) throws(ControllerError) in
            let new: ClusterSpec
            do { new = try ClusterSpec.load(file: file) } catch {
                throw ControllerError(.badRequest, "cluster description not reloaded: \(error)")
            }
            let added = try apply(new)
            note.detail = Self.reloadDetail(new, added)
            return (new, added)
        }
    }

    /// "6 nodes; added dgx07, dgx08" for the audit log.
    static func reloadDetail(_ spec: ClusterSpec, _ added: [String]) -> String {
        "\(spec.nodes.count) nodes" + (added.isEmpty ? "" : "; added \(added.joined(separator: ", "))")
    }

    /// Replaces the description once the caller is known to be an admin.
    func apply(_ new: ClusterSpec) throws(ControllerError) -> [String] {
        var problems: [String] = []
        for job in live.values.sorted(by: { $0.id < $1.id }) where job.state == .running {
            for n in job.nodes {
                guard let i = new.nodeIndex(named: n) else {
                    problems.append("job \(job.id) runs on \(n), which the new description drops")
                    continue
                }
                if let old = spec.nodeIndex(named: n), spec.nodes[old].type != new.nodes[i].type {
                    problems.append(
                        "job \(job.id) runs on \(n), whose type changes (\(spec.nodes[old].type) → \(new.nodes[i].type))"
                    )
                }
            }
        }
        guard problems.isEmpty else {
            throw ControllerError(.conflict, "cluster description not reloaded: " + problems.joined(separator: "; "))
        }
        var fresh = ClusterState(spec: new)
        for job in live.values where job.state == .running {
            guard let view = job.allocation, let a = new.allocation(from: view) else {
                throw ControllerError(
                    .conflict, "cluster description not reloaded: job \(job.id)'s allocation does not fit it")
            }
            do { try fresh.commit(a) } catch {
                throw ControllerError(.conflict, "cluster description not reloaded: job \(job.id): \(error)")
            }
        }
        let before = Set(spec.nodes.map(\.name))
        let added = new.nodes.map(\.name).filter { !before.contains($0) }
        spec = new
        state = fresh
        for i in new.nodes.indices { state.setAvailability(node: i, effectiveAvailability(i)) }
        rebuildBook()
        needsFullPass = true
        nodeVersion += 1
        logger.notice("cluster description reloaded", metadata: ["nodes": "\(new.nodes.count)", "added": "\(added)"])
        schedule()
        return added
    }
}
