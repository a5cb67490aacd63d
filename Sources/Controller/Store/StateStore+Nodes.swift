import GRDB
import Scheduler

extension StateStore {
    /// Records a node's state (replacing the previous one), after the commit is on disk.
    public func setNodeState(
        _ node: String, _ state: NodeAvailability, reason: String?, actor: String, at time: Int64
    ) throws(StateStoreError) {
        try write("set node \(node) to \(state.rawValue)") { db in
            try db.execute(
                sql: """
                    INSERT INTO node_states (node, state, reason, actor, since) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(node) DO UPDATE SET
                        state = excluded.state, reason = excluded.reason, actor = excluded.actor, since = excluded.since
                    """,
                arguments: [node, state.rawValue, reason, actor, time])
        }
    }

    /// Every recorded node state, by node name. A node never recorded is up.
    public func nodeStates() throws(StateStoreError) -> [NodeStateRecord] {
        try read("read node states") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM node_states ORDER BY node").map(Self.nodeState)
        }
    }

    /// One node's recorded state, or nil when none was ever recorded.
    public func nodeState(_ node: String) throws(StateStoreError) -> NodeStateRecord? {
        try read("read node \(node)'s state") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM node_states WHERE node = ?", arguments: [node]).map(Self.nodeState)
        }
    }

    private static func nodeState(_ row: Row) throws -> NodeStateRecord {
        let node: String = try row.decode(forColumn: "node")
        let text: String = try row.decode(forColumn: "state")
        guard let state = NodeAvailability(rawValue: text) else {
            throw StateStoreError(.corrupt, "state store: node \(node) has an unknown state '\(text)'")
        }
        return NodeStateRecord(
            node: node, state: state, reason: try row.decode(forColumn: "reason"),
            actor: try row.decode(forColumn: "actor"), since: try row.decode(forColumn: "since"))
    }
}
