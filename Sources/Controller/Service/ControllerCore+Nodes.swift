import Foundation
import Logging
import RasporedAPI
import Scheduler

extension ControllerCore {
    /// Every node of the cluster description, in its order.
    public func nodes() -> [NodeView] {
        spec.nodes.indices.map(nodeView)
    }

    /// One node; unknown names are refused with the cluster's node names.
    public func node(_ name: String) throws(ControllerError) -> NodeView {
        nodeView(try nodeIndex(name))
    }

    /// Drains a node (admins only): its jobs run to the end, it takes no new ones. Recorded with the
    /// reason, who and when, before the engine stops placing on it.
    public func drain(_ name: String, reason: String, by p: Principal) throws(ControllerError) -> NodeView {
        try requireAdmin(p, to: "drain a node")
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        return try audited(p, .nodeDrain, name, detail: reason) { (_: inout AuditNote) throws(ControllerError) in
            let i = try nodeIndex(name)
            guard !reason.isEmpty else { throw ControllerError(.badRequest, "a drain needs a reason") }
            try setNodeState(i, .drain, reason: reason, by: p)
            logger.notice("node drained", metadata: ["node": "\(name)", "by": "\(p.user)", "reason": "\(reason)"])
            return nodeView(i)
        }
    }

    /// Puts a drained or down node back in service (admins only), then schedules onto it.
    public func resume(_ name: String, by p: Principal) throws(ControllerError) -> NodeView {
        try requireAdmin(p, to: "resume a node")
        return try audited(p, .nodeResume, name) { (_: inout AuditNote) throws(ControllerError) in
            let i = try nodeIndex(name)
            try setNodeState(i, .up, reason: nil, by: p)
            logger.notice("node resumed", metadata: ["node": "\(name)", "by": "\(p.user)"])
            schedule()
            return nodeView(i)
        }
    }

    func setNodeState(_ i: Int, _ availability: NodeAvailability, reason: String?, by p: Principal)
        throws(ControllerError)
    {
        let name = spec.nodes[i].name
        let now = clock()
        try stored { () throws(StateStoreError) in
            try store.setNodeState(name, availability, reason: reason, actor: p.user, at: now)
        }
        nodeRecords[name] = NodeStateRecord(node: name, state: availability, reason: reason, actor: p.user, since: now)
        refreshAvailability(i)
    }

    /// The engine's availability of node `i`: the admin's state, and down while its agent is not connected
    /// (or registered different hardware) when agents are required.
    func effectiveAvailability(_ i: Int) -> NodeAvailability {
        let name = spec.nodes[i].name
        let admin = nodeRecords[name]?.state ?? .up
        if admin == .down { return .down }
        if settings.requireAgents && connections[name]?.status != .connected { return .down }
        return admin
    }

    /// Applies the effective availability to the engine; a node coming up calls for a full pass.
    func refreshAvailability(_ i: Int) {
        let now = effectiveAvailability(i)
        guard state.availability(node: i) != now else { return }
        state.setAvailability(node: i, now)
        book.invalidatePlan()
        if now == .up { needsFullPass = true }
        nodeVersion += 1
    }

    func nodeIndex(_ name: String) throws(ControllerError) -> Int {
        guard let i = spec.nodeIndex(named: name) else {
            let names = spec.nodes.map(\.name)
            let list = names.count > 3 ? "\(names[0])…\(names[names.count - 1])" : names.joined(separator: ", ")
            throw ControllerError(.notFound, "unknown node '\(name)' (nodes: \(list))")
        }
        return i
    }

    func nodeView(_ i: Int) -> NodeView {
        let node = spec.nodes[i]
        let type = spec.nodeType(of: node)
        let record = nodeRecords[node.name]
        let jobs = state.jobCount(node: i)
        var stateName: NodeStateName =
            switch nodeRecords[node.name]?.state ?? .up {
            case .up: .up
            case .down: .down
            case .drain: jobs > 0 ? .draining : .drained
            }
        var reason = record?.reason, actor = record?.actor, since = record?.since
        let connection = connections[node.name]
        if settings.requireAgents && stateName != .down {
            switch connection?.status {
            case .connected?: break
            case let .invalid(why)?:
                (stateName, reason, actor, since) = (.invalid, why, "controller", connection?.lastSeenEpoch)
            case let .lost(why)?:
                (stateName, reason, actor, since) = (.down, why, "controller", connection?.lastSeenEpoch)
            case nil:
                (stateName, reason, actor, since) = (
                    .down, "agent not registered since the controller started", "controller", nil
                )
            }
        }
        let free = state.freeGPUs(node: i)
        let gpus = type.numa.filter { !$0.gpus.isEmpty }.map { d in
            let f = d.gpus.filter { free.contains($0) }.count
            return NUMAGPUs(numa: d.index, used: d.gpus.count - f, free: f)
        }
        let shapes = state.freeShapes(node: i)
        return NodeView(
            name: node.name, type: node.type, state: stateName, reason: reason, actor: actor,
            since: since, jobs: jobs, gpus: gpus,
            freeShapes: Dictionary(uniqueKeysWithValues: shapes.map { (String($0), $1) }),
            lastHeartbeatAge: connection.map { (ContinuousClock.now - $0.lastSeen).seconds },
            reservation: activeReservation(node: i))
    }
}
