/// Preemption by partition tier (Slurm's preempt/partition_prio): a job that does not fit may have running
/// jobs of lower-tier partitions marked `preemptible` requeued to make room.
extension QueueBook {
    /// A chosen victim will not be preempted after all (it may not be requeued): it is a candidate again.
    public mutating func spare(id: Int64) {
        preempting.remove(id)
    }

    /// The partition tier of a request.
    func tier(of request: ResourceRequest) -> Int {
        terms(request.partition).tier
    }

    /// A job that preempted others and waits for their resources, of a higher tier than `c`: `c` may not
    /// start in its place.
    func preemptorAhead(of c: QueuePass.Candidate) -> Int64? {
        guard !preemptors.isEmpty, preemptors[c.id] == nil else { return nil }
        let t = tier(of: c.request)
        return preemptors.filter { $0.value > t }.keys.min()
    }

    /// The running jobs to requeue so that `c` fits, chosen at the least cost, or nil when preemption cannot
    /// help (no lower-tier preemptible jobs, or not enough even with all of them gone). A victim is always a
    /// whole job: a multi-node gang gives back every node at once.
    ///
    /// Cost is the work a victim loses (GPUs × seconds run so far). Victims are added cheapest first until `c`
    /// fits; then each chosen victim, dearest first, is put back if `c` still fits without it.
    mutating func victims(
        for c: QueuePass.Candidate, state: ClusterState, now: Int64, work: inout QueuePass.Counters
    ) -> [Int64]? {
        // One round of victims at a time for a job: it waits for them before choosing more.
        guard preemptibleRunning > 0, preemptors[c.id] == nil || preempting.isEmpty else { return nil }
        let tier = tier(of: c.request)
        var pool: [(id: Int64, cost: Double, allocation: Allocation)] = []
        for (id, r) in running where r.preemptible && r.tier < tier && !preempting.contains(id) {
            pool.append((id, Double(r.gpus) * Double(max(now - r.start, 0)), r.allocation))
        }
        guard !pool.isEmpty else { return nil }
        pool.sort { ($0.cost, $0.id) < ($1.cost, $1.id) }
        let limit = max(c.timeLimit, 1)
        var trial = state
        var chosen: [Int] = []
        func fits(_ s: inout ClusterState) -> Bool {
            work.preemptionPlacements += 1
            if case .success = QueuePass.place(c, on: &s, reservations: reservations, from: now, until: now + limit) {
                return true
            }
            return false
        }
        var found = false
        for (i, v) in pool.enumerated() {
            try? trial.release(v.allocation)
            chosen.append(i)
            if trial.totalFreeGPUs >= c.gpuCount && fits(&trial) {
                found = true
                break
            }
        }
        guard found else { return nil }
        // Put back what is not needed, dearest first.
        for i in chosen.reversed() where chosen.count > 1 {
            guard (try? trial.commit(pool[i].allocation)) != nil else { continue }
            if fits(&trial) {
                chosen.removeAll { $0 == i }
            } else {
                try? trial.release(pool[i].allocation)
            }
        }
        let ids = chosen.map { pool[$0].id }.sorted()
        preempting.formUnion(ids)
        preemptors[c.id] = tier
        return ids
    }
}
