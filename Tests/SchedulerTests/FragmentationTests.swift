import Testing

@testable import Scheduler

@Suite struct FragmentationTests {
    /// One DGX node, GPUs 0 (NUMA 0) taken: free is (3, 4).
    @Test func nodeMeasureIsWorkedOutByHand() throws {
        var state = ClusterState(spec: try dgxCluster(count: 1))
        try state.take(ResourceRequest(gpus: 1))
        // The mix: half the prior (1, 2, 4, 8 equally: 1/4 each), half the one observed 1-GPU request.
        // p1 = 1/8 + 1/2 = 0.625, p2 = p4 = p8 = 0.125.
        let mix = Dictionary(uniqueKeysWithValues: state.shapeMix.map { ($0.size, $0.probability) })
        #expect(abs(mix[1]! - 0.625) < 1e-9)
        #expect(abs(mix[8]! - 0.125) < 1e-9)
        // Unusable GPUs of (3, 4): size 1: 0; size 2: 3 mod 2 = 1; size 4: 3 (NUMA 0 can't host 4);
        // size 8: all 7 (the node is not whole). 0.125 × (1 + 3 + 7) = 1.375.
        #expect(abs(state.fragmentation(node: 0) - 1.375) < 1e-9)
        let shapes = state.freeShapes()
        #expect(shapes.fits == [1: 7, 2: 3, 4: 1, 8: 0])
        #expect(shapes.wholeNodes == 0)
        #expect(shapes.freeGPUs == 7)
        #expect(abs(shapes.fragmentedGPUs - 1.375) < 1e-9)
    }

    @Test func anEmptyClusterHasNoFragmentation() throws {
        let state = ClusterState(spec: try platform())
        let s = state.freeShapes()
        #expect(s.fragmentedGPUs == 0)
        #expect(s.freeGPUs == 48)
        #expect(s.fits == [1: 48, 2: 24, 4: 12, 8: 6])
        #expect(s.wholeNodes == 6)
    }

    @Test func theMixLearnsFromRecentRequests() throws {
        var state = ClusterState(spec: try dgxCluster(count: 64))
        for _ in 0..<40 { try state.take(ResourceRequest(gpus: 8)) }
        let p = Dictionary(uniqueKeysWithValues: state.shapeMix.map { ($0.size, $0.probability) })
        // Only 8-GPU requests observed: p8 = 1/8 (prior) + 1/2 (observed).
        #expect(abs(p[8]! - 0.625) < 1e-9)
    }

    /// The quality benchmark's experiment in miniature: the same arrivals under each policy.
    @Test func packingStrandsFewerFourGPURequestsAndSpansDomainsRarely() throws {
        let spec = try platform()
        let experiment = ChurnExperiment(arrivals: 5000, seed: 11)
        let pack = experiment.run(spec: spec, policy: .pack)
        let first = experiment.run(spec: spec, policy: .firstFit)
        let best = experiment.run(spec: spec, policy: .bestFit)
        let spread = experiment.run(spec: spec, policy: .spread)
        // Same arrivals for every policy.
        #expect(pack.sizes.map(\.arrivals) == first.sizes.map(\.arrivals))
        func size(_ o: ChurnExperiment.Outcome, _ g: Int) -> ChurnExperiment.SizeOutcome {
            o.sizes.first { $0.gpus == g }!
        }
        // A 4-GPU arrival finds a free NUMA domain more often under packing than under any baseline.
        for baseline in [first, best, spread] {
            #expect(size(pack, 4).noCompliantPlace < size(baseline, 4).noCompliantPlace, "\(baseline.policy)")
        }
        // It spans sockets only when no domain anywhere has room: far less often than the baselines.
        #expect(size(pack, 4).spanning * 3 < size(first, 4).spanning)
        #expect(size(pack, 4).spanning * 3 < size(best, 4).spanning)
        // Whole nodes stay available for 8-GPU requests far more often than when spreading.
        #expect(size(pack, 8).noCompliantPlace * 2 < size(spread, 8).noCompliantPlace)
    }

    /// The index keeps a decision's work flat from 48 to 100,000 GPUs: same buckets scored, one node checked.
    @Test func decisionWorkDoesNotGrowWithTheCluster() throws {
        var small = ClusterState(spec: try dgxCluster(count: 6))
        var large = ClusterState(spec: try dgxCluster(count: 12_500))
        // Load both alike: one 2-GPU job per node (checking invariants once at the end, not per step).
        for _ in 0..<6 { try small.commit(try small.place(ResourceRequest(gpus: 2)).get().allocation) }
        for _ in 0..<12_500 { try large.commit(try large.place(ResourceRequest(gpus: 2)).get().allocation) }
        let a = try small.place(ResourceRequest(gpus: 4)).get().note
        let b = try large.place(ResourceRequest(gpus: 4)).get().note
        #expect(a.nodesChecked == 1)
        #expect(b.nodesChecked == 1)
        #expect(b.candidatesScored <= 2 * 25)
        #expect(b.candidatesScored <= a.candidatesScored + 2)
        #expect(large.invariantViolations().isEmpty)
    }
}
