/// Agents' long polls waiting for orders, by node: woken when the node gets work, or after their wait.
struct OrderWaiters: Sendable {
    private var waiting: [String: [Int: CheckedContinuation<Void, Never>]] = [:]
    private var next = 0
    /// Long polls answered because work arrived, and because their wait ran out (for tests and metrics).
    private(set) var woken = 0
    private(set) var expired = 0

    /// Adds a waiter and returns its ticket.
    mutating func add(_ node: String, _ c: CheckedContinuation<Void, Never>) -> Int {
        next += 1
        waiting[node, default: [:]][next] = c
        return next
    }

    /// Resumes every waiter of `node`.
    mutating func wake(_ node: String) {
        guard let all = waiting.removeValue(forKey: node) else { return }
        woken += all.count
        for c in all.values { c.resume() }
    }

    /// Resumes one waiter whose wait ran out (if it is still waiting).
    mutating func expire(_ node: String, _ ticket: Int) {
        guard let c = waiting[node]?.removeValue(forKey: ticket) else { return }
        expired += 1
        c.resume()
    }

    /// Long polls open now.
    var count: Int { waiting.values.reduce(0) { $0 + $1.count } }
}
