import RasporedAPI
import Scheduler

/// Sums GPU time over a period into a usage report: each span (a run, or a job running now up to now) counts
/// its GPUs × its time inside the period, to the millisecond.
enum UsageTally {
    /// A stretch of time a job held GPUs.
    struct Span: Hashable, Sendable {
        var jobId: Int64
        var run: Int
        var user: String
        var account: String
        var partition: String
        var gpuModel: String?
        var gpus: Int
        var submitMillis: Int64
        var startMillis: Int64
        var endMillis: Int64

        init(
            jobId: Int64, run: Int, user: String, account: String, partition: String, gpuModel: String?, gpus: Int,
            submitMillis: Int64, startMillis: Int64, endMillis: Int64
        ) {
            self.jobId = jobId
            self.run = run
            self.user = user
            self.account = account
            self.partition = partition
            self.gpuModel = gpuModel
            self.gpus = gpus
            self.submitMillis = submitMillis
            self.startMillis = startMillis
            self.endMillis = endMillis
        }

        init(_ r: JobRun) {
            self.init(
                jobId: r.jobId, run: r.run, user: r.user, account: r.account, partition: r.partition,
                gpuModel: r.gpuModel, gpus: r.gpus, submitMillis: r.submitMillis, startMillis: r.startMillis,
                endMillis: r.endMillis)
        }
    }

    /// A row being summed: GPU-milliseconds (whole numbers, exact in a Double to 2^53: 2,800 years of
    /// 100,000 GPUs), the jobs, and the first runs' waits.
    private struct Sum {
        var gpuMillis: Double = 0
        var jobs = Set<Int64>()
        var waitMillis: Double = 0
        var waits = 0

        mutating func add(_ s: Span, gpuMillis g: Double, wait: Double?) {
            gpuMillis += g
            jobs.insert(s.jobId)
            if let wait {
                waitMillis += wait
                waits += 1
            }
        }
    }

    static func report(
        _ spans: [Span], by grouping: UsageGrouping, sinceMillis: Int64, untilMillis: Int64, spec: ClusterSpec,
        partial: Bool
    ) -> UsageReport {
        let machine = Double(spec.totalGPUs) * Double(max(untilMillis - sinceMillis, 1))
        var total = Sum()
        var sums: [String: Sum] = [:]
        for s in spans {
            let from = max(s.startMillis, sinceMillis), to = min(s.endMillis, untilMillis)
            // In the period: some time inside it, or a run of no length that began inside it.
            guard
                to > from
                    || (s.startMillis == s.endMillis && s.startMillis >= sinceMillis && s.startMillis < untilMillis)
            else { continue }
            let g = Double(s.gpus) * Double(max(to - from, 0))
            // A job's wait counts once: at its first run, in the period that run started.
            let wait =
                s.run == 0 && s.startMillis >= sinceMillis && s.startMillis < untilMillis
                ? max(Double(s.startMillis) - Double(s.submitMillis), 0) : nil
            total.add(s, gpuMillis: g, wait: wait)
            let keys: [String]
            switch grouping {
            case .account: keys = spec.accountPath(s.account)
            case .user: keys = [s.user]
            case .partition: keys = [s.partition]
            case .gpuModel: keys = [s.gpuModel ?? "-"]
            }
            for k in keys { sums[k, default: Sum()].add(s, gpuMillis: g, wait: wait) }
        }
        func row(_ name: String, _ sum: Sum, parent: String? = nil, depth: Int = 0) -> UsageRow {
            UsageRow(
                name: name, parent: parent, depth: depth, gpuSeconds: sum.gpuMillis / 1000, jobs: sum.jobs.count,
                meanWaitSeconds: sum.waits > 0 ? sum.waitMillis / Double(sum.waits) / 1000 : nil,
                share: machine > 0 ? sum.gpuMillis / machine : 0)
        }
        var rows: [UsageRow]
        if grouping == .account {
            // Every declared account (with nothing, when it used nothing), unless the caller sees only part.
            var names = Set(sums.keys)
            if !partial { names.formUnion(spec.accounts.map(\.name)) }
            rows = treeOrder(Array(names), spec: spec).map { name in
                row(
                    name, sums[name] ?? Sum(), parent: spec.account(named: name)?.parent,
                    depth: spec.accountPath(name).count - 1)
            }
        } else {
            rows = sums.map { row($0.key, $0.value) }.sorted {
                ($0.gpuSeconds, $1.name) > ($1.gpuSeconds, $0.name)
            }
        }
        return UsageReport(
            sinceMillis: sinceMillis, untilMillis: untilMillis, by: grouping.rawValue, totalGPUs: spec.totalGPUs,
            total: row("total", total), rows: rows, partial: partial)
    }

    /// `names` in the account tree's order: each top-level account (cluster.yaml's order, then the others by
    /// name) followed by its children, depth first. A name whose parent is not among `names` stands at the
    /// top level.
    static func treeOrder(_ names: [String], spec: ClusterSpec) -> [String] {
        let present = Set(names)
        let declared = spec.accounts.map(\.name)
        let rank = Dictionary(declared.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        func sorted(_ list: [String]) -> [String] {
            list.sorted { (rank[$0] ?? Int.max, $0) < (rank[$1] ?? Int.max, $1) }
        }
        var children: [String: [String]] = [:]
        var top: [String] = []
        for name in present {
            if let p = spec.account(named: name)?.parent, present.contains(p), p != name {
                children[p, default: []].append(name)
            } else {
                top.append(name)
            }
        }
        var out: [String] = []
        var seen = Set<String>()
        func visit(_ name: String) {
            guard seen.insert(name).inserted else { return }
            out.append(name)
            for c in sorted(children[name] ?? []) { visit(c) }
        }
        for name in sorted(top) { visit(name) }
        // Accounts in a cycle of parents reach no top-level one: they follow, by name.
        for name in sorted(Array(present)) where !seen.contains(name) { visit(name) }
        return out
    }
}
