/// A run's outcomes, one per job in the order the jobs were given. Each is made when it is read, from the job
/// and what the replay kept of it (`Simulator.EventLoop.JobRecord`, 32 bytes a job): a replay writes no list of
/// outcomes of its own (for a million jobs, that list would be some 100 MB written at the end).
public struct SimulatedOutcomes: RandomAccessCollection, Sendable, Equatable {
    let jobs: [SimulatedJob]
    let records: [Simulator.EventLoop.JobRecord]
    /// Why jobs can never run on the cluster, by job index (few).
    let neverFits: [Int: String]
    /// Each job's last placement (`PlacementText`) by job index; empty when the run kept none.
    let placements: [String?]

    init(
        jobs: [SimulatedJob], records: [Simulator.EventLoop.JobRecord], neverFits: [Int: String],
        placements: [String?] = []
    ) {
        precondition(jobs.count == records.count, "a record for every job")
        precondition(placements.isEmpty || placements.count == jobs.count, "a placement for every job, or none")
        self.jobs = jobs
        self.records = records
        self.neverFits = neverFits
        self.placements = placements
    }

    /// None (a run not made yet).
    init() { self.init(jobs: [], records: [], neverFits: [:]) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { jobs.count }

    public subscript(index: Int) -> SimulatedOutcome {
        let j = jobs[index]
        let k = records[index]
        let none = Simulator.EventLoop.JobRecord.none
        var o = SimulatedOutcome(
            id: j.id, submitMillis: j.submitMillis, startMillis: k.start == none ? nil : k.start,
            endMillis: k.end == none ? nil : k.end,
            gpus: k.gpus < 0 ? j.gpuCount ?? 0 : Int(k.gpus), account: j.account,
            neverFits: neverFits.isEmpty ? nil : neverFits[index], timedOut: k.timedOut)
        o.interruptions = Int(k.interruptions)
        if !placements.isEmpty && o.startMillis != nil { o.placement = placements[index] }
        return o
    }

    public static func == (a: SimulatedOutcomes, b: SimulatedOutcomes) -> Bool { a.elementsEqual(b) }
}
