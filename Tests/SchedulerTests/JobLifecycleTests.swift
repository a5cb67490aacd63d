import Testing

@testable import Scheduler

private let t0: Int64 = 1_700_000_000

private func allocation(_ nodes: String...) -> AllocationView {
    AllocationView(
        nodes: nodes.map {
            NodeAllocationView(
                node: $0, gpus: [0, 1], cores: [0, 1], cpus: [0, 1, 112, 113], numa: [0], memoryBytes: ["0": 1 << 30],
                nics: ["mlx5_0", "mlx5_3"], scratchBytes: 0, exclusive: false)
        }, gpuModel: "H200", sharedStorageBytes: 0)
}

/// A job in `state`, with the fields that state implies.
private func job(_ state: JobState = .pending, noRequeue: Bool = false, nodes: [String] = ["dgx01"]) -> Job {
    var j = Job(
        id: 42, name: "train", user: "ana", account: "research", partition: "gpu", request: ResourceRequest(gpus: 2),
        timeLimit: .hours(4), submitted: .seconds(t0), noRequeue: noRequeue, command: ["python", "train.py"],
        workdir: "/home/ana")
    j.pendingReason = "waiting for 2 GPUs"
    guard state != .pending else { return j }
    j.state = state
    j.startMillis = (t0 + 10) * 1000
    j.allocation = AllocationView(
        nodes: nodes.flatMap { allocation($0).nodes }, gpuModel: "H200", sharedStorageBytes: 0)
    j.pendingReason = nil
    if state.isFinal { j.endMillis = (t0 + 100) * 1000 }
    return j
}

private enum Kind: String, CaseIterable { case start, exit, cancel, timeLimit, nodeLost, requeue }

private func event(_ k: Kind) -> JobLifecycle.Event {
    switch k {
    case .start: .start(allocation: allocation("dgx02"), at: .seconds(t0 + 20))
    case .exit: .exit(code: 0, signal: nil, at: .seconds(t0 + 50))
    case .cancel: .cancel(by: "ana", at: .seconds(t0 + 30))
    case .timeLimit: .timeLimit(at: .seconds(t0 + 40))
    case .nodeLost: .nodeLost(node: "dgx01", requeue: true, at: .seconds(t0 + 60))
    case .requeue: .requeue(by: "admin", at: .seconds(t0 + 70))
    }
}

private let legal: Set<String> = [
    "pending.start", "pending.cancel",
    "running.exit", "running.cancel", "running.timeLimit", "running.nodeLost", "running.requeue",
]

private let phrases: [Kind: String] = [
    .start: "be started", .exit: "exit", .cancel: "be cancelled", .timeLimit: "reach its time limit",
    .nodeLost: "lose its node", .requeue: "be requeued",
]

@Suite struct JobLifecycleTests {
    @Test(
        "every state × event: legal ones apply, the rest are refused in words",
        arguments: JobState.allCases, Kind.allCases)
    fileprivate func matrix(state: JobState, kind: Kind) throws {
        let before = job(state)
        if legal.contains("\(state).\(kind)") {
            _ = try JobLifecycle.apply(event(kind), to: before)
        } else {
            let error = #expect(throws: JobTransitionError.self) { try JobLifecycle.apply(event(kind), to: before) }
            #expect(error?.reason == .wrongState)
            #expect(error?.description == "job 42 is \(state); it cannot \(phrases[kind]!)")
        }
    }

    @Test func cancellingACompletedJobSaysSo() {
        let error = #expect(throws: JobTransitionError.self) {
            try JobLifecycle.apply(.cancel(by: "ana", at: .seconds(t0)), to: job(.completed))
        }
        #expect(error?.description == "job 42 is completed; it cannot be cancelled")
    }

    @Test func startTakesTheAllocationAndLaunches() throws {
        let t = try JobLifecycle.apply(event(.start), to: job())
        #expect(t.job.state == .running)
        #expect(t.job.startTime == t0 + 20)
        #expect(t.job.allocation == allocation("dgx02"))
        #expect(t.job.pendingReason == nil)
        #expect(t.actions == [.launch(nodes: ["dgx02"])])
    }

    @Test func startOnNoNodesIsRefused() {
        let empty = AllocationView(nodes: [], gpuModel: nil, sharedStorageBytes: 0)
        let error = #expect(throws: JobTransitionError.self) {
            try JobLifecycle.apply(.start(allocation: empty, at: .seconds(t0)), to: job())
        }
        #expect(error?.reason == .emptyAllocation)
    }

    @Test func cleanExitCompletesAndReleases() throws {
        let before = job(.running)
        let t = try JobLifecycle.apply(.exit(code: 0, signal: nil, at: .seconds(t0 + 50)), to: before)
        #expect(t.job.state == .completed)
        #expect(t.job.endTime == t0 + 50)
        #expect(t.job.exitCode == 0)
        #expect(t.job.allocation == before.allocation, "a finished job keeps where it ran")
        #expect(t.actions == [.release(before.allocation!)])
    }

    @Test(arguments: [(Int32?.some(1), Int32?.none), (nil, 9), (0, 11)])
    func nonZeroExitOrSignalFails(code: Int32?, signal: Int32?) throws {
        let t = try JobLifecycle.apply(.exit(code: code, signal: signal, at: .seconds(t0 + 50)), to: job(.running))
        #expect(t.job.state == .failed)
        #expect(t.job.exitCode == code)
        #expect(t.job.signal == signal)
    }

    @Test func cancellingAPendingJobEndsItAtOnce() throws {
        let t = try JobLifecycle.apply(.cancel(by: "ana", at: .seconds(t0 + 5)), to: job())
        #expect(t.job.state == .cancelled)
        #expect(t.job.endTime == t0 + 5)
        #expect(t.job.pendingReason == nil)
        #expect(t.job.stopRequest == JobStopRequest(kind: .cancel, by: "ana", at: t0 + 5))
        #expect(t.actions.isEmpty)
    }

    @Test func cancellingARunningJobStopsItAndEndsCancelledOnExit() throws {
        let running = job(.running)
        let asked = try JobLifecycle.apply(.cancel(by: "ana", at: .seconds(t0 + 30)), to: running)
        #expect(asked.job.state == .running, "it holds its GPUs until its processes are gone")
        #expect(asked.actions == [.stop(nodes: ["dgx01"])])
        let again = #expect(throws: JobTransitionError.self) {
            try JobLifecycle.apply(.cancel(by: "ana", at: .seconds(t0 + 31)), to: asked.job)
        }
        #expect(again?.description == "job 42 is already being cancelled; it cannot be cancelled")
        let ended = try JobLifecycle.apply(.exit(code: nil, signal: 15, at: .seconds(t0 + 32)), to: asked.job)
        #expect(ended.job.state == .cancelled)
        #expect(ended.job.signal == 15)
        #expect(ended.job.endReason == "cancelled by ana")
        #expect(ended.actions == [.release(running.allocation!)])
    }

    @Test func timeLimitStopsItAndEndsTimeoutOnExit() throws {
        let asked = try JobLifecycle.apply(.timeLimit(at: .seconds(t0 + 40)), to: job(.running))
        #expect(asked.actions == [.stop(nodes: ["dgx01"])])
        let cancel = #expect(throws: JobTransitionError.self) {
            try JobLifecycle.apply(.cancel(by: "ana", at: .seconds(t0 + 41)), to: asked.job)
        }
        #expect(cancel?.description == "job 42 is already being stopped at its time limit; it cannot be cancelled")
        let twice = #expect(throws: JobTransitionError.self) {
            try JobLifecycle.apply(.timeLimit(at: .seconds(t0 + 42)), to: asked.job)
        }
        #expect(twice?.reason == .alreadyStopping(.timeLimit))
        let ended = try JobLifecycle.apply(.exit(code: nil, signal: 9, at: .seconds(t0 + 45)), to: asked.job)
        #expect(ended.job.state == .timeout)
        #expect(ended.job.endReason == "time limit 4h reached")
    }

    @Test func adminRequeueStopsItThenReturnsItToPending() throws {
        let running = job(.running)
        let asked = try JobLifecycle.apply(.requeue(by: "root", at: .seconds(t0 + 70)), to: running)
        #expect(asked.job.state == .running)
        #expect(asked.actions == [.stop(nodes: ["dgx01"])])
        let back = try JobLifecycle.apply(.exit(code: nil, signal: 15, at: .seconds(t0 + 71)), to: asked.job)
        #expect(back.job.state == .pending)
        #expect(back.job.requeueCount == 1)
        #expect(back.job.allocation == nil)
        #expect(back.job.startTime == nil)
        #expect(back.job.signal == nil)
        #expect(back.job.stopRequest == nil)
        #expect(back.job.pendingReason == "requeued by root")
        #expect(back.actions == [.release(running.allocation!), .enqueue])
        // And it can start again.
        let again = try JobLifecycle.apply(event(.start), to: back.job)
        #expect(again.job.state == .running)
        #expect(again.job.requeueCount == 1)
    }

    @Test func cancelOverridesARequeueUnderWay() throws {
        let asked = try JobLifecycle.apply(.requeue(by: "root", at: .seconds(t0 + 70)), to: job(.running))
        let cancelled = try JobLifecycle.apply(.cancel(by: "ana", at: .seconds(t0 + 71)), to: asked.job)
        #expect(cancelled.job.stopRequest?.kind == .cancel)
        let requeueAgain = #expect(throws: JobTransitionError.self) {
            try JobLifecycle.apply(.requeue(by: "root", at: .seconds(t0 + 72)), to: cancelled.job)
        }
        #expect(requeueAgain?.description == "job 42 is already being cancelled; it cannot be requeued")
        let ended = try JobLifecycle.apply(.exit(code: nil, signal: 15, at: .seconds(t0 + 73)), to: cancelled.job)
        #expect(ended.job.state == .cancelled)
    }

    @Test func noRequeueJobsRefuseAdminRequeue() {
        let error = #expect(throws: JobTransitionError.self) {
            try JobLifecycle.apply(.requeue(by: "root", at: .seconds(t0)), to: job(.running, noRequeue: true))
        }
        #expect(error?.description == "job 42 was submitted with no-requeue; it cannot be requeued")
    }

    @Test func nodeLostRequeuesByDefault() throws {
        let running = job(.running)
        let t = try JobLifecycle.apply(.nodeLost(node: "dgx01", requeue: true, at: .seconds(t0 + 60)), to: running)
        #expect(t.job.state == .pending)
        #expect(t.job.requeueCount == 1)
        #expect(t.job.pendingReason == "requeued: node dgx01 lost")
        #expect(t.actions == [.release(running.allocation!), .enqueue])
    }

    @Test(arguments: [(true, true), (true, false), (false, false)])
    func nodeLostFailsWithoutRequeue(noRequeue: Bool, policy: Bool) throws {
        let lost = JobLifecycle.Event.nodeLost(node: "dgx01", requeue: policy, at: .seconds(t0 + 60))
        let t = try JobLifecycle.apply(lost, to: job(.running, noRequeue: noRequeue))
        #expect(t.job.state == .failed)
        #expect(t.job.endTime == t0 + 60)
        #expect(t.job.endReason == (noRequeue ? "node dgx01 lost (no-requeue)" : "node dgx01 lost"))
        #expect(t.job.requeueCount == 0)
    }

    @Test func nodeLostOnAGangStopsTheOtherNodes() throws {
        let gang = job(.running, nodes: ["dgx01", "dgx02", "dgx03"])
        let t = try JobLifecycle.apply(.nodeLost(node: "dgx02", requeue: true, at: .seconds(t0 + 60)), to: gang)
        #expect(t.actions == [.stop(nodes: ["dgx01", "dgx03"]), .release(gang.allocation!), .enqueue])
    }

    @Test func nodeLostWhileStoppingKeepsTheStopsMeaning() throws {
        let cancelling = try JobLifecycle.apply(.cancel(by: "ana", at: .seconds(t0 + 30)), to: job(.running)).job
        let t = try JobLifecycle.apply(.nodeLost(node: "dgx01", requeue: true, at: .seconds(t0 + 60)), to: cancelling)
        #expect(t.job.state == .cancelled)
        #expect(t.job.endReason == "cancelled by ana; node dgx01 lost")
        let timing = try JobLifecycle.apply(.timeLimit(at: .seconds(t0 + 30)), to: job(.running)).job
        let lost = JobLifecycle.Event.nodeLost(node: "dgx01", requeue: true, at: .seconds(t0 + 60))
        #expect(try JobLifecycle.apply(lost, to: timing).job.state == .timeout)
    }

    @Test func nodeLostForANodeTheJobDoesNotUseIsRefused() {
        let error = #expect(throws: JobTransitionError.self) {
            try JobLifecycle.apply(.nodeLost(node: "dgx05", requeue: true, at: .seconds(t0)), to: job(.running))
        }
        #expect(error?.description == "job 42 does not run on dgx05; it cannot lose that node")
    }
}
