import Testing

@testable import Scheduler

/// Expected starts, worked out by hand on the platform's six DGX H200 nodes.
@Suite struct StartEstimateTests {
    /// The platform with a whole-node job on each of its six nodes, ending at 100, 200, …, 600.
    func wholeNodesEndingEvery100() throws -> (ClusterState, [StartEstimate.Running]) {
        var state = ClusterState(spec: try platform())
        var running: [StartEstimate.Running] = []
        for k in 0..<6 {
            let d = try state.place(ResourceRequest(gpus: 8)).get()
            try state.commit(d.allocation)
            running.append(.init(allocation: d.allocation, end: Int64(100 * (k + 1))))
        }
        return (state, running)
    }

    /// Six whole-node jobs ending at 100, 200, …, 600; then the queue 8 GPUs, 8 GPUs, 1 GPU, 4 GPUs (2 h).
    @Test func theQueueIsPlayedForwardInOrderOnTheRunningJobsEnds() throws {
        let (state, running) = try wholeNodesEndingEvery100()
        let waiting: [StartEstimate.Waiting] = [
            .init(id: 1, request: ResourceRequest(gpus: 8), timeLimit: .hours(2)),
            .init(id: 2, request: ResourceRequest(gpus: 8), timeLimit: .hours(2)),
            .init(id: 3, request: ResourceRequest(gpus: 1), timeLimit: .hours(2)),
            .init(id: 4, request: ResourceRequest(gpus: 4), timeLimit: .hours(2)),
        ]
        var work = StartEstimate.Counters()
        let starts = StartEstimate.estimate(state: state, running: running, waiting: waiting, now: 0, work: &work)
        // 100: the first node frees, job 1 takes it. 200: job 2. 300: job 3 (1 GPU) and job 4 (4 GPUs) share
        // the third node, in different NUMA domains.
        #expect(starts == [1: 100, 2: 200, 3: 300, 4: 300])
    }

    /// Six whole-node jobs ending at 100, 200, …, 600; then the queue 16 GPUs, 1 GPU (2 h each).
    @Test func underStrictFIFONothingPassesTheFirstJobThatDoesNotFit() throws {
        let (state, running) = try wholeNodesEndingEvery100()
        let waiting: [StartEstimate.Waiting] = [
            .init(id: 1, request: ResourceRequest(gpus: 16), timeLimit: .hours(2)),
            .init(id: 2, request: ResourceRequest(gpus: 1), timeLimit: .hours(2)),
        ]
        var work = StartEstimate.Counters()
        let greedy = StartEstimate.estimate(state: state, running: running, waiting: waiting, now: 0, work: &work)
        // First fit: at 100 job 1 does not fit on the one free node and job 2 takes a GPU of it; at 200 the
        // 15 free GPUs are still too few; at 300 job 1 takes the two whole free nodes.
        #expect(greedy == [1: 300, 2: 100])
        let strict = StartEstimate.estimate(
            state: state, running: running, waiting: waiting, now: 0, holdsLine: true, work: &work)
        // Head of line: job 2 waits behind job 1, which takes the first two nodes at 200; job 2 takes a GPU
        // of the third at 300.
        #expect(strict == [1: 200, 2: 300])
    }

    @Test func aJobThatCanNeverFitGetsNoEstimate() throws {
        var state = ClusterState(spec: try platform())
        for i in 0..<6 { state.setAvailability(node: i, i == 0 ? .up : .drain) }
        let waiting: [StartEstimate.Waiting] = [
            .init(id: 1, request: ResourceRequest(gpus: 8, nodes: 2), timeLimit: .hours(1)),
            .init(id: 2, request: ResourceRequest(gpus: 8), timeLimit: .hours(1)),
            .init(id: 3, request: ResourceRequest(gpus: 8), timeLimit: .hours(1)),
        ]
        var work = StartEstimate.Counters()
        let starts = StartEstimate.estimate(state: state, running: [], waiting: waiting, now: 10, work: &work)
        // Two nodes are never available together: job 1 has none; jobs 2 and 3 take dgx01 in turn.
        #expect(starts == [2: 10, 3: 3610])
    }

    /// A full cluster and a deep queue of 1-GPU jobs: each end frees one GPU, one job takes it, and the
    /// rest are skipped by the free-GPU count without a placement: work grows with jobs, not jobs².
    @Test func aDeepQueueCostsAboutOnePlacementPerJob() throws {
        var state = ClusterState(spec: try platform())
        var running: [StartEstimate.Running] = []
        for k in 0..<48 {
            guard case let .success(d) = state.place(ResourceRequest(gpus: 1)) else { Issue.record("no room"); return }
            try state.commit(d.allocation)
            running.append(.init(allocation: d.allocation, end: Int64(k + 1)))
        }
        let waiting = (1...2000).map {
            StartEstimate.Waiting(id: Int64($0), request: ResourceRequest(gpus: 1), timeLimit: .minutes(1))
        }
        var work = StartEstimate.Counters()
        let starts = StartEstimate.estimate(state: state, running: running, waiting: waiting, now: 0, work: &work)
        #expect(starts.count == 2000)
        #expect(starts[1] == 1)
        #expect(starts[48] == 48)
        #expect(starts[49] == 61)
        #expect(work.placements <= 2 * 2000)
    }
}
