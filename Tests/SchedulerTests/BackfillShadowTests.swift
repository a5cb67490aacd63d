import Testing

@testable import Scheduler

/// The backfill shadow is a view of the live cluster; it must answer exactly as a copy of the cluster would,
/// with the jobs ending by the reserved start released and the reserved allocation committed, through starts
/// and ends on both sides of the start.
@Suite struct BackfillShadowTests {
    /// A random request: GPUs alone, or with cores, memory, scratch, shared storage; cores or memory alone; or
    /// a whole node.
    func request(_ rng: inout SeededRandom) -> ResourceRequest {
        let gpus = [1, 1, 2, 2, 4, 8][Int(rng.next() % 6)]
        switch rng.next() % 8 {
        case 6: return ResourceRequest(gpus: 0, cpus: Int(rng.next() % 112) + 1)
        case 7: return ResourceRequest(gpus: 0, memory: .gibibytes(rng.next() % 1500 + 1))
        case 0: return ResourceRequest(gpus: gpus, cpus: Int(rng.next() % 96) + 1)
        case 1: return ResourceRequest(gpus: gpus, memory: .gibibytes(rng.next() % 900 + 1))
        case 2: return ResourceRequest(gpus: gpus, scratch: .terabytes(Double(rng.next() % 20 + 1)))
        case 3: return ResourceRequest(gpus: gpus, storage: .terabytes(Double(rng.next() % 30 + 1)))
        case 4: return ResourceRequest(exclusive: true)
        default: return ResourceRequest(gpus: gpus)
        }
    }

    @Test func theViewAnswersAsACopyOfTheClusterWould() throws {
        let spec = try platform()
        var admitted = 0
        var refused = 0
        var probesAdmitted = 0
        var probesRefused = 0
        for seed in 1...100 {
            var rng = SeededRandom(seed: UInt64(seed))
            var live = ClusterState(spec: spec)
            // Running jobs: allocation and expected end.
            var running: [(Allocation, Int64)] = []
            for _ in 0..<15 {
                guard case let .success(d) = live.place(request(&rng)) else { continue }
                try live.commit(d.allocation)
                running.append((d.allocation, Int64(rng.next() % 1000) + 1))
            }
            let start = Int64(rng.next() % 1000) + 1
            // The reference: a copy with the jobs ending by the start released and the reserved job placed.
            var reference = live
            for (a, end) in running where end <= start { try reference.release(a) }
            let reserved = [
                ResourceRequest(gpus: 8), ResourceRequest(gpus: 8, memory: .gibibytes(1800)),
                ResourceRequest(gpus: 4, scratch: .terabytes(25)), ResourceRequest(gpus: 2, cpus: 56),
            ][seed % 4]
            guard case let .success(head) = reference.place(reserved) else { continue }
            try reference.commit(head.allocation)
            var shadow = BackfillShadow(taking: head.allocation)
            for (a, end) in running where end <= start { shadow.free(a) }
            #expect(shadow.holdsReserved(head.allocation, on: live))
            for _ in 0..<60 {
                // A probe on one node (not started), asking for one kind of resource: a GPU, a core, memory,
                // scratch, the whole node, or shared storage.
                let node = Int(rng.next() % UInt64(spec.nodes.count))
                let kind = rng.next() % 6
                let probe = Allocation(
                    nodes: [
                        NodeAllocation(
                            node: node, gpus: GPUSet(mask: kind == 0 ? 1 << (rng.next() % 8) : 0),
                            cores: CPUSet(kind == 1 ? [Int(rng.next() % 224)] : []),
                            memory: kind == 2 ? [.gibibytes(rng.next() % 1024), .gibibytes(rng.next() % 1024)] : [],
                            scratch: kind == 3 ? .terabytes(Double(rng.next() % 30)) : .zero, exclusive: kind == 4)
                    ], sharedStorage: kind == 5 ? .terabytes(Double(rng.next() % 120)) : .zero, gpuModel: nil)
                var probed = reference
                let probeFits = (try? probed.commit(probe)) != nil
                #expect(shadow.admits(probe, on: live) == probeFits, "seed \(seed), probe")
                if probeFits { probesAdmitted += 1 } else { probesRefused += 1 }
                if rng.next() % 3 == 0, !running.isEmpty {
                    // A running job ends (early or on time).
                    let (a, end) = running.remove(at: Int(rng.next() % UInt64(running.count)))
                    try live.release(a)
                    if end <= start { shadow.unfree(a) } else { try reference.release(a) }
                    continue
                }
                guard case let .success(d) = live.place(request(&rng)) else { continue }
                let end = Int64(rng.next() % 1000) + 1
                if end <= start {
                    // Ending by the start, it is free in the shadow whatever it takes now.
                    shadow.free(d.allocation)
                } else {
                    var copy = reference
                    let fits = (try? copy.commit(d.allocation)) != nil
                    #expect(shadow.admits(d.allocation, on: live) == fits, "seed \(seed)")
                    guard fits else {
                        refused += 1
                        continue
                    }
                    admitted += 1
                    reference = copy
                }
                try live.commit(d.allocation)
                running.append((d.allocation, end))
            }
        }
        // Both answers were met often enough for the comparison to mean something.
        #expect(admitted > 100)
        #expect(refused > 50)
        #expect(probesAdmitted > 100)
        #expect(probesRefused > 100)
    }

    @Test func anAllocationTheViewDoesNotHoldAsFreedIsIgnored() throws {
        let spec = try platform()
        var live = ClusterState(spec: spec)
        guard case let .success(a) = live.place(ResourceRequest(gpus: 8)) else { Issue.record("no room"); return }
        try live.commit(a.allocation)
        guard case let .success(b) = live.place(ResourceRequest(gpus: 8)) else { Issue.record("no room"); return }
        try live.commit(b.allocation)
        guard case let .success(head) = live.place(ResourceRequest(gpus: 8)) else { Issue.record("no room"); return }
        // Job a ends by the start; b runs past it. The reserved job takes a third node.
        var shadow = BackfillShadow(taking: head.allocation)
        shadow.free(a.allocation)
        let onA = a.allocation
        // Told twice that a ended, or told that b ended: only the first changes the view.
        shadow.unfree(b.allocation)
        #expect(shadow.admits(onA, on: live))
        shadow.unfree(onA)
        shadow.unfree(onA)
        #expect(!shadow.admits(onA, on: live))
        try live.release(onA)
        #expect(shadow.admits(onA, on: live))
    }
}
