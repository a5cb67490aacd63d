import Foundation
import Testing

@testable import Scheduler

/// Per-job node filters (`nodelist`, `exclude`, `constraint`) on `featureCluster()`: read, resolved, and
/// honoured by every placement path, the queue, backfill, estimates and reservations.
@Suite struct NodeFilterTests {
    func names(_ d: PlacementDecision, _ state: ClusterState) -> [String] {
        d.allocation.nodes.map { state.spec.nodes[$0.node].name }
    }

    // MARK: Reading requests

    func read(_ json: String) -> Result<ResourceRequest, ConfigError> {
        Result { () throws(ConfigError) in try ResourceRequest(config: try ConfigNode.parseJSONObject(json)) }
    }

    @Test func theFieldsAreReadAsTheyAreWritten() throws {
        let r = try read(#"{"gpus": 16, "nodelist": "dgx[01-02]", "exclude": "dgx03", "constraint": "a&b|c"}"#).get()
        #expect(r.nodelist == "dgx[01-02]")
        #expect(r.exclude == "dgx03")
        #expect(r.constraint == "a&b|c")
        #expect(r.nodelistNames == ["dgx01", "dgx02"])
        #expect(ResourceRequest.fieldNames.isSuperset(of: ["nodelist", "exclude", "constraint"]))
        // gpusPerNode × the nodelist's count.
        #expect(ResourceRequest(gpusPerNode: 4, nodelist: "dgx[01-03]").gpuCount == 12)
    }

    @Test func everyFieldIsEncodedUnderItsNameAndReadBack() throws {
        let full = ResourceRequest(
            gpus: 16, gpuModel: "H200", minGpuMemory: .gigabytes(80), cpus: 8, memory: .gibibytes(64),
            scratch: .gigabytes(1), storage: .gigabytes(2), nodes: 2, gpusPerNode: 8, exclusive: true, sameNuma: true,
            partition: "gpu", account: "ivi", time: .hours(2), nodelist: "dgx[01-02]", exclude: "dgx03",
            constraint: "nvlink|bf3")
        let data = try JSONEncoder().encode(full)
        let keys = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]).keys
        // All but gpuMemory, which cannot be given with gpus.
        #expect(Set(keys) == ResourceRequest.fieldNames.subtracting(["gpuMemory"]))
        #expect(try JSONDecoder().decode(ResourceRequest.self, from: data) == full)
        // Without filters, none is written; a filter set and cleared leaves none.
        let plain = ResourceRequest(gpus: 1)
        let written = String(decoding: try JSONEncoder().encode(plain), as: UTF8.self)
        #expect(!written.contains("nodelist") && !written.contains("exclude") && !written.contains("constraint"))
        var cleared = plain
        cleared.exclude = "dgx01"
        #expect(cleared != plain && cleared.filtersNodes)
        cleared.exclude = nil
        #expect(cleared == plain && !cleared.filtersNodes)
        #expect(Set([full, plain, cleared]).count == 2)
    }

    @Test func badFieldsAreRefusedWithWhatIsSupported() {
        func message(_ json: String) -> String {
            switch read(json) {
            case .success: "read"
            case let .failure(e): e.description
            }
        }
        #expect(message(#"{"gpus": 1, "constraint": "[a|b]"}"#).contains("brackets"))
        #expect(message(#"{"gpus": 1, "constraint": "a*2"}"#).contains("counts (feature*count) are not supported"))
        #expect(message(#"{"gpus": 1, "constraint": "(a&b)|c"}"#).contains("parentheses"))
        #expect(message(#"{"gpus": 1, "constraint": "a&"}"#).contains("an operator without a feature"))
        #expect(message(#"{"gpus": 1, "constraint": "a b"}"#).contains("use only letters"))
        #expect(
            message(#"{"gpus": 16, "nodes": 3, "nodelist": "dgx[01-02]"}"#)
                == "line 1: nodelist names 2 nodes but nodes is 3: a job runs on exactly its nodelist (leave nodes out, or make them agree)"
        )
        #expect(message(#"{"gpus": 1, "nodelist": "dgx[03-01]"}"#).contains("cannot read host list 'dgx[03-01]'"))
        #expect(message(#"{"gpus": 1, "exclude": "n[1-99999999]"}"#).contains("cannot read host list"))
        #expect(message(#"{"gpus": 1, "nodelist": "dgx01", "exclude": "dgx02", "constraint": "a|b,c"}"#) == "read")
    }

    // MARK: Resolution

    @Test func unknownNamesAndFeaturesAreInvalidAndNamed() throws {
        let state = ClusterState(spec: try featureCluster())
        func refusal(_ r: ResourceRequest) -> PlacementRefusal? { state.refusal(r) }
        let unknownNode = refusal(ResourceRequest(gpus: 1, nodelist: "dgx[06-08]"))
        #expect(unknownNode == PlacementRefusal(.invalid, "nodelist: unknown nodes dgx07, dgx08"))
        #expect(
            refusal(ResourceRequest(gpus: 1, exclude: "gpu01"))
                == PlacementRefusal(.invalid, "exclude: unknown node gpu01"))
        #expect(
            refusal(ResourceRequest(gpus: 1, constraint: "nvlink&a100|b200"))
                == PlacementRefusal(
                    .invalid, "constraint: unknown features a100, b200 (features: bf3, ib-ndr, nvlink)"))
        #expect(refusal(ResourceRequest(gpus: 1, constraint: "[nvlink|bf3]"))?.kind == .invalid)
        #expect(
            refusal(ResourceRequest(gpus: 16, nodes: 3, nodelist: "dgx[01-02]"))
                == PlacementRefusal(
                    .invalid, "nodelist names 2 nodes but nodes is 3: a job runs on exactly its nodelist"))
        #expect(
            refusal(ResourceRequest(gpus: 16, gpusPerNode: 4, nodelist: "dgx[01-02]"))
                == PlacementRefusal(
                    .invalid, "16 GPUs requested, but 2 nodes (the nodelist) × 4 GPUs per node is 8"))
        #expect(
            refusal(ResourceRequest(gpus: 1, nodelist: "dgx01", exclude: "dgx01"))
                == PlacementRefusal(.invalid, "node dgx01 is both in nodelist and in exclude"))
        #expect(refusal(ResourceRequest(gpus: 1, nodelist: String(repeating: "x", count: 20_000)))?.kind == .invalid)
    }

    @Test func nodesTheJobCanNeverUseAreRefusedWithTheReason() throws {
        let state = ClusterState(spec: try featureCluster())
        #expect(
            state.refusal(ResourceRequest(gpus: 1, partition: "small", nodelist: "dgx05"))
                == PlacementRefusal(.neverFits, "nodelist node dgx05 is not in partition small"))
        #expect(
            state.refusal(ResourceRequest(gpus: 1, nodelist: "dgx03", constraint: "nvlink"))
                == PlacementRefusal(
                    .neverFits, "nodelist node dgx03 does not meet constraint nvlink (its features: ib-ndr)"))
        #expect(
            state.refusal(ResourceRequest(gpus: 1, partition: "small", constraint: "bf3"))
                == PlacementRefusal(.neverFits, "no node of partition small is left to use (features bf3)"))
        #expect(
            state.refusal(ResourceRequest(gpus: 16, nodelist: "dgx01"))
                == PlacementRefusal(
                    .neverFits, "nodelist node dgx01 (dgx-h200): 16 GPUs per node requested; a dgx-h200 node has 8"))
        // Three whole nodes with nvlink: only two have it.
        #expect(
            state.refusal(ResourceRequest(gpus: 24, constraint: "nvlink"))
                == PlacementRefusal(
                    .neverFits, "3 nodes requested; 2 of the nodes it may use (features nvlink) are dgx-h200 nodes"))
        #expect(
            state.refusal(ResourceRequest(gpus: 40, nodes: 5, exclude: "dgx[01-02]"))?.kind == .neverFits)
    }

    // MARK: Placement

    @Test func aSingleNodeJobRunsOnlyWhereItsFiltersAllow() throws {
        var state = ClusterState(spec: try featureCluster())
        #expect(names(try state.place(ResourceRequest(gpus: 2)).get(), state) == ["dgx01"])
        #expect(names(try state.place(ResourceRequest(gpus: 2, nodelist: "dgx04")).get(), state) == ["dgx04"])
        #expect(names(try state.place(ResourceRequest(gpus: 2, exclude: "dgx[01-03]")).get(), state) == ["dgx04"])
        #expect(names(try state.place(ResourceRequest(gpus: 2, constraint: "bf3")).get(), state) == ["dgx05"])
        #expect(
            names(
                try state.place(ResourceRequest(gpus: 2, exclude: "dgx[01-02],dgx05", constraint: "bf3|nvlink&ib-ndr"))
                    .get(), state)
                == ["dgx06"])
        // With dgx06 half used, pack prefers it; excluded, the job goes to an empty node it may use.
        try state.take(ResourceRequest(gpus: 4, nodelist: "dgx06"))
        #expect(names(try state.place(ResourceRequest(gpus: 4)).get(), state) == ["dgx06"])
        #expect(
            names(try state.place(ResourceRequest(gpus: 4, exclude: "dgx06", constraint: "bf3")).get(), state) == [
                "dgx05"
            ])
        // Every node of the job's set busy: not now, though other nodes are free.
        try state.take(ResourceRequest(gpus: 4, nodelist: "dgx06"))
        let busy = state.refusal(ResourceRequest(gpus: 1, nodelist: "dgx06"))
        #expect(busy?.kind == .notNow)
        #expect(busy?.reason.contains("(it may use only nodelist dgx06)") == true)
        #expect(state.invariantViolations().isEmpty)
    }

    @Test func aGangRunsOnItsNodelistOrOnNodesItsFiltersAllow() throws {
        var state = ClusterState(spec: try featureCluster())
        // Unfiltered, a two-node gang takes the tightest leaf that holds it: dgx05-06.
        #expect(names(try state.place(ResourceRequest(gpus: 16)).get(), state) == ["dgx05", "dgx06"])
        // The nodelist sets the node count.
        let listed = try state.place(ResourceRequest(gpusPerNode: 8, nodelist: "dgx[02-03]")).get()
        #expect(names(listed, state) == ["dgx02", "dgx03"])
        #expect(
            names(try state.place(ResourceRequest(gpus: 16, constraint: "nvlink")).get(), state) == ["dgx01", "dgx02"])
        #expect(
            names(try state.place(ResourceRequest(gpus: 16, exclude: "dgx[05-06],dgx01")).get(), state)
                == ["dgx02", "dgx03"])
        // Spread over both leaves: dgx01-02 and dgx05 are taken; with dgx04 excluded, the only three nodes left.
        try state.take(ResourceRequest(gpus: 8, nodelist: "dgx01"))
        try state.take(ResourceRequest(gpus: 8, nodelist: "dgx02"))
        try state.take(ResourceRequest(gpus: 8, nodelist: "dgx05"))
        #expect(state.refusal(ResourceRequest(gpus: 24, exclude: "dgx04"))?.kind == .notNow)
        #expect(names(try state.place(ResourceRequest(gpus: 24)).get(), state) == ["dgx03", "dgx04", "dgx06"])
        let refusal = state.refusal(ResourceRequest(gpus: 16, nodelist: "dgx[01,03]"))
        #expect(
            refusal
                == PlacementRefusal(
                    .notNow,
                    "2 whole idle nodes requested; only 1 is idle (dgx03) (it may use only nodelist dgx[01,03])"))
        // Exclusive single-node jobs take whole idle nodes the same way.
        #expect(
            names(try state.place(ResourceRequest(gpus: 8, exclusive: true, constraint: "bf3")).get(), state) == [
                "dgx06"
            ])
        #expect(state.invariantViolations().isEmpty)
    }

    @Test func aCPUOnlyJobRunsOnlyWhereItsFiltersAllow() throws {
        var state = ClusterState(spec: try featureCluster())
        // CPU-only work goes where GPUs are used up: dgx02, once it is full.
        try state.take(ResourceRequest(gpus: 8, cpus: 16, memory: .gibibytes(256), nodelist: "dgx02"))
        #expect(names(try state.place(ResourceRequest(cpus: 8, memory: .gibibytes(16))).get(), state) == ["dgx02"])
        #expect(
            names(try state.place(ResourceRequest(cpus: 8, memory: .gibibytes(16), nodelist: "dgx04")).get(), state)
                == ["dgx04"])
        #expect(
            names(try state.place(ResourceRequest(cpus: 8, memory: .gibibytes(16), exclude: "dgx02")).get(), state)
                == ["dgx01"])
        #expect(
            names(try state.place(ResourceRequest(cpus: 8, memory: .gibibytes(16), constraint: "bf3")).get(), state)
                == ["dgx05"])
    }

    @Test func aFilterThatAllowsEveryNodeChangesNoPlacement() throws {
        // The same requests, one after another, unfiltered and with a constraint every node meets (the filtered
        // path): the same allocations.
        var plain = ClusterState(spec: try featureCluster())
        var filtered = plain
        let requests: [ResourceRequest] = [
            .init(gpus: 1), .init(gpus: 3), .init(gpus: 2, sameNuma: true), .init(gpus: 8), .init(gpus: 16),
            .init(cpus: 20, memory: .gibibytes(64)), .init(gpus: 4), .init(gpus: 1), .init(gpus: 5), .init(gpus: 2),
            .init(gpus: 1, cpus: 40, memory: .gibibytes(600)), .init(gpus: 8, exclusive: true), .init(gpus: 6),
        ]
        var placed = 0
        for request in requests {
            var f = request
            f.constraint = "ib-ndr"
            let a = plain.place(request)
            let b = filtered.place(f)
            switch (a, b) {
            case let (.success(x), .success(y)): #expect(x.allocation == y.allocation, "\(request)")
            case let (.failure(x), .failure(y)):
                // The same words, told which nodes it may use.
                #expect(y == PlacementRefusal(x.kind, x.reason + " (it may use only features ib-ndr)"), "\(request)")
            default: Issue.record("\(request): \(a) unfiltered, \(b) filtered")
            }
            if case let .success(d) = a {
                try plain.commit(d.allocation)
                try filtered.commit(d.allocation)
                placed += 1
            }
        }
        #expect(placed >= 10)
        #expect(requests.count - placed >= 2)  // refusals compared too
    }

    @Test func theExplanationNamesTheNodesItMayUse() throws {
        var state = ClusterState(spec: try featureCluster())
        try state.take(ResourceRequest(gpus: 6, nodelist: "dgx01"))
        try state.take(ResourceRequest(gpus: 7, nodelist: "dgx02"))
        let refusal = state.refusal(ResourceRequest(gpus: 4, constraint: "nvlink"))
        #expect(
            refusal
                == PlacementRefusal(
                    .notNow,
                    "4 GPUs on one node: at most 2 are free on one node (dgx01); 3 GPUs are free in all (it may use only features nvlink)"
                ))
        state.setAvailability(node: 0, .drain)
        state.setAvailability(node: 1, .down)
        #expect(
            state.refusal(ResourceRequest(gpus: 1, constraint: "nvlink"))
                == PlacementRefusal(
                    .notNow,
                    "the nodes it may use (features nvlink) are down or draining; 2 nodes are down or draining (dgx01, dgx02)"
                ))
        // Other nodes' troubles are not its own.
        #expect(state.refusal(ResourceRequest(gpus: 1, nodelist: "dgx03")) == nil)
    }

    // MARK: Queue, backfill, estimates, reservations

    /// A whole-node job on each node, ending at 100, 200, …, 600 (dgx01 first).
    func busyEveryNode() throws -> (ClusterState, QueueBook, [StartEstimate.Running]) {
        var state = ClusterState(spec: try featureCluster())
        var book = QueueBook(spec: state.spec, policy: .backfill, now: 0)
        var running: [StartEstimate.Running] = []
        for k in 0..<6 {
            let d = try state.take(ResourceRequest(gpus: 8, nodelist: state.spec.nodes[k].name))
            book.started(id: Int64(100 + k), account: "", allocation: d.allocation, end: Int64(100 * (k + 1)), at: 0)
            running.append(.init(allocation: d.allocation, end: Int64(100 * (k + 1))))
        }
        return (state, book, running)
    }

    @Test func aFilteredJobIsEstimatedToStartWhenANodeItMayUseFrees() throws {
        let (state, _, running) = try busyEveryNode()
        let waiting: [StartEstimate.Waiting] = [
            .init(id: 1, request: ResourceRequest(gpus: 8, constraint: "bf3"), timeLimit: .hours(1)),
            .init(id: 2, request: ResourceRequest(gpus: 8, nodelist: "dgx04"), timeLimit: .hours(1)),
            .init(id: 3, request: ResourceRequest(gpus: 8, exclude: "dgx[01-02]"), timeLimit: .hours(1)),
            .init(id: 4, request: ResourceRequest(gpus: 8), timeLimit: .hours(1)),
        ]
        var work = StartEstimate.Counters()
        let starts = StartEstimate.estimate(state: state, running: running, waiting: waiting, now: 0, work: &work)
        // dgx01 frees at 100 (job 4 only), dgx03 at 300 (job 3), dgx04 at 400 (job 2), dgx05 at 500 (job 1).
        #expect(starts == [1: 500, 2: 400, 3: 300, 4: 100])
    }

    @Test func backfillReservesAFilteredJobWhereItMayRun() throws {
        var (state, book, _) = try busyEveryNode()
        let queue: [QueuePass.Candidate] = [
            .init(id: 1, request: ResourceRequest(gpus: 8, nodelist: "dgx05"), submit: 1, timeLimit: 100),
            // Ends by 500: may run before job 1 on any node (dgx01 frees at 100, but it starts now only if it fits).
            .init(id: 2, request: ResourceRequest(gpus: 8), submit: 2, timeLimit: 100),
        ]
        var waits: [Int64: QueuePass.Wait] = [:]
        var work = QueuePass.Counters()
        QueuePass.run(
            on: &state, book: &book, queue: queue, now: 0, work: &work, started: { _, _ in true },
            waiting: { c, w in waits[c.id] = w })
        // Unfiltered it would be reserved at 100, when dgx01 frees.
        guard case .reserved(at: 500, _) = waits[1] else { Issue.record("\(String(describing: waits[1]))"); return }
        #expect(book.reservedStart?.at == 500)
        #expect(book.reservedStart?.job == 1)
    }

    @Test func jobsWithDifferentFiltersAreNotSetAsideTogether() throws {
        // Under fifo, a job that cannot start sets its bucket aside; a job of the same shape on other nodes
        // is another bucket and still starts.
        var state = ClusterState(spec: try featureCluster())
        try state.take(ResourceRequest(gpus: 8, nodelist: "dgx01"))
        var book = QueueBook(spec: state.spec, policy: .fifo, now: 0)
        let queue: [QueuePass.Candidate] = [
            .init(id: 1, request: ResourceRequest(gpus: 4, nodelist: "dgx01"), submit: 1),
            .init(id: 2, request: ResourceRequest(gpus: 4, nodelist: "dgx02"), submit: 2),
            .init(id: 3, request: ResourceRequest(gpus: 4, nodelist: "dgx01"), submit: 3),
        ]
        var started: [Int64] = []
        var work = QueuePass.Counters()
        QueuePass.run(
            on: &state, book: &book, queue: queue, now: 0, work: &work,
            started: { c, d in
                started.append(c.id)
                #expect(d.allocation.nodes.map(\.node) == [1])
                return true
            }, waiting: { _, _ in })
        #expect(started == [2])
    }

    @Test func aReservationOnTheNodesItMayUseHoldsItBack() throws {
        var state = ClusterState(spec: try featureCluster())
        let book = ReservationBook([
            Reservation(name: "maint", nodes: [4], start: 0, end: 1000, reason: "firmware")
        ])
        let c = QueuePass.Candidate(id: 1, request: ResourceRequest(gpus: 1, nodelist: "dgx05"))
        let result = QueuePass.place(c, on: &state, reservations: book, from: 0, until: 100)
        guard case let .failure(refusal) = result else { Issue.record("placed: \(result)"); return }
        #expect(refusal.reason.contains("dgx05 reserved (maint: firmware)"))
        // Its constraint allows dgx06 too: it goes there.
        let other = QueuePass.Candidate(id: 2, request: ResourceRequest(gpus: 1, constraint: "bf3"))
        let d = try QueuePass.place(other, on: &state, reservations: book, from: 0, until: 100).get()
        #expect(names(d, state) == ["dgx06"])
    }

    @Test func preemptionRequeuesTheJobOnTheNodeItMayUse() throws {
        // The platform with a preemptible scavenger partition below gpu. Six scavenger jobs take a whole node
        // each (dgx01 first), started at 0, 10, …, 50; a gpu job for dgx01 arrives at 100. The cheapest victim
        // is the last one started, on dgx06; the job's nodelist makes it requeue dgx01's instead.
        let spec = try PreemptionTests().spec()
        var jobs = (1...6).map { k in
            SimulatedJob(
                id: Int64(k), submit: Int64(10 * (k - 1)), duration: 1000, timeLimit: 1000,
                request: ResourceRequest(gpus: 8, partition: "scavenger"), account: "ivi")
        }
        jobs.append(
            SimulatedJob(
                id: 7, submit: 100, duration: 200, timeLimit: 200,
                request: ResourceRequest(gpus: 8, partition: "gpu", nodelist: "dgx01"), account: "ivi"))
        for policy in QueuePolicyName.allCases {
            let run = try Simulator.run(spec: spec, jobs: jobs, options: .init(queue: policy, checkInvariants: true))
            #expect(run.invariantViolations.isEmpty, "\(policy): \(run.invariantViolations)")
            let o = Dictionary(uniqueKeysWithValues: run.outcomes.map { ($0.id, $0) })
            #expect(o[7]?.start == 100, "\(policy)")
            #expect(o[1]?.interruptions == 1, "\(policy)")
            #expect((2...6).allSatisfy { o[Int64($0)]?.interruptions == 0 }, "\(policy)")
            #expect(run.preemptedRuns == 1, "\(policy)")
        }
    }

    @Test func replaysWithFilteredJobsDecideAlikeWithAndWithoutTheShortcuts() throws {
        // A mixed workload where a third of the jobs choose nodes, under maintenance windows on dgx05: deferred
        // backfill plans and the indexed queue must give the schedule of plans worked out at once and of a plain
        // queue, and every reserved job must start when reserved (the simulator's invariants).
        let spec = try featureCluster()
        var rng = SeededRandom(seed: 11)
        let filters: [(String?, String?, String?)] = [
            (nil, nil, nil), (nil, nil, nil), (nil, nil, nil), ("dgx02", nil, nil), ("dgx05", nil, nil),
            (nil, "dgx[01-03]", nil), (nil, nil, "nvlink"), (nil, nil, "bf3|nvlink"), (nil, "dgx06", "bf3"),
        ]
        let jobs = (1...300).map { i -> SimulatedJob in
            let limit: Int64 = rng.next() % 3 == 0 ? 3600 : 10_800
            let gpus = [1, 2, 4, 8, 16][Int(rng.next() % 5)]
            var (nodelist, exclude, constraint) = filters[Int(rng.next() % UInt64(filters.count))]
            if gpus == 16, nodelist != nil { nodelist = "dgx[02-03]" }
            if gpus == 16, constraint == "bf3" { exclude = nil }
            return SimulatedJob(
                id: Int64(i), submit: Int64(i) * 40, duration: max(limit * Int64(rng.next() % 100) / 100, 1),
                timeLimit: limit,
                request: ResourceRequest(gpus: gpus, nodelist: nodelist, exclude: exclude, constraint: constraint))
        }
        let windows = SimulationEvents(maintenance: [
            .init(nodes: ["dgx05"], start: 3600, duration: 3600, every: 20_000)
        ])
        for policy in [QueuePolicyName.backfill, .fairshare, .fifo] {
            for e in [SimulationEvents(), windows] {
                let (a, _) = try sameScheduleBothWays(\.defersPlans, spec: spec, jobs: jobs, policy: policy, events: e)
                _ = try sameScheduleBothWays(\.indexedQueue, spec: spec, jobs: jobs, policy: policy, events: e)
                #expect(a.outcomes.allSatisfy { $0.startMillis != nil && $0.neverFits == nil }, "\(policy)")
            }
        }
    }
}
