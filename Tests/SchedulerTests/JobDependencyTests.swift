import Testing

@testable import Scheduler

/// `--dependency` as Slurm writes it, and what each kind means for the jobs it names.
@Suite struct JobDependencyTests {
    typealias C = JobDependency.Condition

    @Test func slurmFormsAreRead() throws {
        let d = try JobDependency(parsing: "afterok:12:13,afterany:14_2,after:15,afternotok:16,singleton")
        #expect(!d.anyOf)
        #expect(
            d.conditions == [
                C(kind: .afterok, job: .job(12)), C(kind: .afterok, job: .job(13)),
                C(kind: .afterany, job: .task(array: 14, index: 2)), C(kind: .after, job: .job(15)),
                C(kind: .afternotok, job: .job(16)), C(kind: .singleton, job: nil),
            ])
        #expect(d.description == "afterok:12:13,afterany:14_2,after:15,afternotok:16,singleton")
        let any = try JobDependency(parsing: "afterok:12?afternotok:12")
        #expect(any.anyOf)
        #expect(any.conditions.count == 2)
        #expect(any.description == "afterok:12?afternotok:12")
        // A bare id list means afterany, as in Slurm; kinds are read in any case.
        #expect(
            try JobDependency(parsing: "12:13").conditions == [
                C(kind: .afterany, job: .job(12)), C(kind: .afterany, job: .job(13)),
            ])
        #expect(try JobDependency(parsing: "AfterOK:7").conditions == [C(kind: .afterok, job: .job(7))])
        #expect(try JobDependency(parsing: "singleton").description == "singleton")
    }

    @Test(arguments: [
        ("", "an empty dependency"),
        ("afterok:1,afterany:2?after:3", "not both"),
        ("afterok", "afterok needs one or more job ids"),
        ("afterok:", "a job is named by its id"),
        ("afterok:x", "not 'x'"),
        ("afterok:0", "not '0'"),
        ("afterfoo:1", "unknown dependency type 'afterfoo'"),
        ("aftercorr:1", "aftercorr dependencies are not supported"),
        ("afterburstbuffer:1", "afterburstbuffer dependencies are not supported"),
        ("after:12+10", "a delay after a job (12+10) is not supported"),
        ("singleton:3", "singleton names no job"),
        ("afterok:1,,afterok:2", "an empty condition"),
    ])
    func badDependenciesAreRefusedWithTheReason(_ text: String, _ words: String) {
        #expect {
            try JobDependency(parsing: text)
        } throws: { error in
            String(describing: error).contains(words)
        }
    }

    @Test func atMostAThousandJobs() throws {
        let ids = (1...1001).map(String.init).joined(separator: ":")
        #expect(throws: JobDependencyError.self) { try JobDependency(parsing: "afterok:" + ids) }
        #expect(
            try JobDependency(parsing: "afterok:" + (1...1000).map(String.init).joined(separator: ":")).conditions.count
                == 1000)
    }

    /// `text` evaluated with job N (and array 100's tasks) in the given states.
    func status(_ text: String, _ jobs: [Int64: JobState], array: [JobState: Int] = [:], blocker: Int64? = nil) throws
        -> DependencyStatus
    {
        var d = try JobDependency(parsing: text)
        for i in d.conditions.indices {
            if d.conditions[i].job == .job(100) { d.conditions[i].target = .array(100) }
        }
        return d.status(
            state: { t in
                switch t {
                case let .job(id): jobs[id].map(DependencyTargetState.job)
                case .array: .array(array)
                }
            }, singletonBlocker: blocker)
    }

    @Test func afterWaitsForTheStart() throws {
        #expect(try status("after:1", [1: .pending]) == .waiting("waiting for job 1 to start (after); it is pending"))
        for s in [JobState.running, .completed, .failed, .cancelled, .timeout] {
            #expect(try status("after:1", [1: s]) == .satisfied)
        }
    }

    @Test func afteranyWaitsForTheEndWhateverItIs() throws {
        #expect(
            try status("afterany:1", [1: .running]) == .waiting("waiting for job 1 to end (afterany); it is running"))
        #expect(
            try status("afterany:1", [1: .pending]) == .waiting("waiting for job 1 to end (afterany); it is pending"))
        for s in [JobState.completed, .failed, .cancelled, .timeout] {
            #expect(try status("afterany:1", [1: s]) == .satisfied)
        }
    }

    @Test func afterokNeedsSuccessAndFailureIsFinal() throws {
        #expect(
            try status("afterok:12", [12: .running])
                == .waiting("waiting for job 12 to complete successfully (afterok); it is running"))
        #expect(try status("afterok:12", [12: .completed]) == .satisfied)
        #expect(try status("afterok:12", [12: .failed]) == .never("job 12 failed (afterok:12)"))
        #expect(try status("afterok:12", [12: .cancelled]) == .never("job 12 was cancelled (afterok:12)"))
        #expect(try status("afterok:12", [12: .timeout]) == .never("job 12 reached its time limit (afterok:12)"))
        #expect(try status("afterok:12", [:]) == .never("job 12 no longer exists (afterok:12)"))
    }

    @Test func afternotokNeedsAFailure() throws {
        #expect(
            try status("afternotok:3", [3: .running])
                == .waiting("waiting for job 3 to fail (afternotok); it is running"))
        for s in [JobState.failed, .cancelled, .timeout] { #expect(try status("afternotok:3", [3: s]) == .satisfied) }
        #expect(try status("afternotok:3", [3: .completed]) == .never("job 3 completed successfully (afternotok:3)"))
    }

    @Test func anArraysIdMeansAllItsTasks() throws {
        #expect(
            try status("afterok:100", [:], array: [.completed: 3, .running: 2, .pending: 3])
                == .waiting(
                    "waiting for all 8 tasks of array 100 to complete successfully (afterok); 2 running, 3 pending, 3 ended"
                ))
        #expect(try status("afterok:100", [:], array: [.completed: 8]) == .satisfied)
        // One failed task is enough to know afterok can never hold, even while others still run.
        #expect(
            try status("afterok:100", [:], array: [.completed: 5, .failed: 1, .cancelled: 1, .running: 1])
                == .never(
                    "2 of the 8 tasks of array 100 did not complete successfully (1 failed, 1 cancelled) (afterok:100)")
        )
        #expect(try status("after:100", [:], array: [.running: 7, .cancelled: 1]) == .satisfied)
        #expect(try status("after:100", [:], array: [.running: 7, .pending: 1]) != .satisfied)
        #expect(try status("afterany:100", [:], array: [.completed: 7, .failed: 1]) == .satisfied)
        #expect(try status("afternotok:100", [:], array: [.completed: 7, .failed: 1]) == .satisfied)
        #expect(try status("afternotok:100", [:], array: [.completed: 7, .failed: 1, .running: 1]) != .satisfied)
        #expect(
            try status("afternotok:100", [:], array: [.completed: 8])
                == .never("all 8 tasks of array 100 completed successfully (afternotok:100)"))
    }

    @Test func commaNeedsAllAndQuestionMarkAny() throws {
        let jobs: [Int64: JobState] = [1: .completed, 2: .running, 3: .failed]
        #expect(
            try status("afterok:1,afterany:2", jobs) == .waiting("waiting for job 2 to end (afterany); it is running"))
        #expect(try status("afterok:1:2,afterany:2", jobs).waitingText?.hasSuffix("(and 1 more dependency)") == true)
        #expect(try status("afterok:1,afterok:3", jobs) == .never("job 3 failed (afterok:3)"))
        #expect(try status("afterok:3?afterok:1", jobs) == .satisfied)
        #expect(
            try status("afterok:3?afterok:2", jobs)
                == .waiting("waiting for job 2 to complete successfully (afterok); it is running"))
        #expect(
            try status("afterok:3?afternotok:1", jobs)
                == .never("job 3 failed (afterok:3); job 1 completed successfully (afternotok:1)"))
        #expect(
            try status("afterany:2?after:2", [2: .pending])
                == .waiting("waiting for job 2 to end (afterany) or job 2 to start (after)"))
    }

    @Test func singletonWaitsForTheBlockerItIsGiven() throws {
        #expect(try status("singleton", [:]) == .satisfied)
        #expect(
            try status("singleton", [:], blocker: 7)
                == .waiting("waiting for job 7, of the same name and user, to end (singleton)"))
    }
}

extension DependencyStatus {
    var waitingText: String? {
        if case let .waiting(w) = self { return w }
        return nil
    }
}
