import Foundation
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// Holds, releases, updates, begin times and signals (`ControllerCore+Control`) in the real service core over
/// a real SQLite store: what runs, what waits and why, who may do what, and what survives a restart.
@Suite struct JobControlTests {
    func held(_ s: SubmitRequest) -> SubmitRequest {
        var s = s
        s.controls.hold = .user
        return s
    }

    @Test func aHeldJobWaitsWithAReasonUntilReleasedThenStarts() async throws {
        try await withCore { core, _, _ in
            let j = try await core.submit(held(submit(gpus: 1)), by: ana)
            #expect(j.state == .pending)
            #expect(j.pendingReason == "held by its owner (schedctl release \(j.id))")
            #expect(j.controls?.hold == .user)
            guard case let .job(released) = try await core.release(.job(j.id), by: ana) else {
                Issue.record("one job answers one view")
                return
            }
            #expect(released.state == .running)
            #expect(released.controls == nil)
        }
    }

    @Test func holdingAPendingJobKeepsItFromStartingWhenRoomAppears() async throws {
        try await withCore { core, _, _ in
            // 48 GPUs taken, so the next job waits; held, it stays pending once they are free.
            let big = try await core.submit(job(gpus: 48), by: bo)
            #expect(big.state == .running)
            let waiting = try await core.submit(submit(gpus: 8), by: ana)
            #expect(waiting.state == .pending)
            _ = try await core.hold(.job(waiting.id), by: ana)
            try await core.end(big.id)
            let after = try await core.job(.job(waiting.id), by: ana)
            #expect(after.state == .pending)
            #expect(after.pendingReason == "held by its owner (schedctl release \(waiting.id))")
            // Released, it starts at once: the GPUs are free.
            _ = try await core.release(.job(waiting.id), by: ana)
            #expect(try await core.job(.job(waiting.id), by: ana).state == .running)
        }
    }

    @Test func anAdminsHoldIsReleasedByAnAdminOnlyAndAnotherUserCannotTouchTheJob() async throws {
        try await withCore { core, _, _ in
            let j = try await core.submit(held(submit(gpus: 1)), by: ana)
            // Someone else's job: no hold, release, update or signal.
            let release = await #expect(throws: ControllerError.self) { _ = try await core.release(.job(j.id), by: bo) }
            let hold = await #expect(throws: ControllerError.self) { _ = try await core.hold(.job(j.id), by: bo) }
            let update = await #expect(throws: ControllerError.self) {
                _ = try await core.update(.job(j.id), JobUpdateRequest(nice: 5), by: bo)
            }
            let signal = await #expect(throws: ControllerError.self) {
                _ = try await core.signal(.job(j.id), SignalRequest(signal: 10), by: bo)
            }
            for e in [release, hold, update, signal] {
                #expect(e?.kind == .forbidden)
                #expect(e?.message == "job \(j.id) belongs to ana")
            }
            // An admin's hold over the owner's: the owner may no longer release it.
            let pending = try await core.submit(held(submit(gpus: 1)), by: ana)
            _ = try await core.hold(.job(pending.id), by: root)
            let refused = await #expect(throws: ControllerError.self) {
                _ = try await core.release(.job(pending.id), by: ana)
            }
            #expect(refused?.kind == .forbidden)
            #expect(refused?.message == "job \(pending.id) is held by an admin; only an admin may release it")
            #expect(try await core.job(.job(pending.id), by: ana).pendingReason?.hasPrefix("held by an admin") == true)
            _ = try await core.release(.job(pending.id), by: root)
            #expect(try await core.job(.job(pending.id), by: ana).controls?.hold == nil)
        }
    }

    @Test func onlyPendingJobsAreHeldAndOnlyHeldOnesReleased() async throws {
        try await withCore { core, _, _ in
            let running = try await core.submit(submit(gpus: 1), by: ana)
            #expect(running.state == .running)
            let e = await #expect(throws: ControllerError.self) { _ = try await core.hold(.job(running.id), by: ana) }
            #expect(e?.kind == .conflict)
            #expect(e?.message == "job \(running.id) is running; only pending jobs can be held")
            let pending = try await core.submit(submit(gpus: 48), by: ana)
            #expect(pending.state == .pending)
            let notHeld = await #expect(throws: ControllerError.self) {
                _ = try await core.release(.job(pending.id), by: ana)
            }
            #expect(notHeld?.message == "job \(pending.id) is not held")
        }
    }

    @Test func aHoldSurvivesARestart() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("raspored-hold-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id: Int64
        do {
            let store = try StateStore(directory: dir, create: true)
            let core = try ControllerCore(
                spec: try platformSpec(), store: store, settings: noAgents, logger: quietLogger, clock: { t0 })
            var s = held(submit(gpus: 1))
            s.controls.nice = 7
            s.controls.warning = WarningSignal(signal: 10, secondsBefore: 90)
            id = try await core.submit(s, by: ana).id
        }
        let store = try StateStore(directory: dir, create: false)
        let core = try ControllerCore(
            spec: try platformSpec(), store: store, settings: noAgents, logger: quietLogger, clock: { t0 })
        _ = await core.schedule()
        let j = try await core.job(.job(id), by: ana)
        #expect(j.state == .pending)
        #expect(j.controls?.hold == .user)
        #expect(j.controls?.nice == 7)
        #expect(j.controls?.warning == WarningSignal(signal: 10, secondsBefore: 90))
        #expect(j.pendingReason == "held by its owner (schedctl release \(id))")
    }

    @Test func anArraysIdHoldsAndReleasesEveryPendingTask() async throws {
        try await withCore { core, _, _ in
            _ = try await core.submit(job(gpus: 48), by: bo)
            let first = try await core.submit(try submit(gpus: 1, array: "0-3"), by: ana)
            guard case let .array(tasks) = try await core.hold(.job(first.id), by: ana) else {
                Issue.record("an array's id answers its tasks")
                return
            }
            #expect(tasks.count == 4)
            #expect(tasks.allSatisfy { $0.controls?.hold == .user })
            // A task alone.
            guard case let .job(one) = try await core.release(.task(array: first.id, index: 2), by: ana) else {
                Issue.record("a task answers one view")
                return
            }
            #expect(one.controls?.hold == nil)
            guard case let .array(rest) = try await core.release(.job(first.id), by: ana) else {
                Issue.record("an array's id answers its tasks")
                return
            }
            // Task 2 was not held any more: its release is refused, the others are released.
            #expect(rest.count == 4)
            #expect(rest.allSatisfy { $0.controls?.hold == nil })
        }
    }

    @Test func aBeginTimeHoldsTheJobUntilThenAndTheSweepStartsIt() async throws {
        try await withClockedCore { core, _, clock in
            var s = job(gpus: 1)
            s.begin = .fromNow(.minutes(30))
            let j = try await core.submit(s, by: ana)
            #expect(j.state == .pending)
            #expect(j.controls?.begin == t0 + 1_800)
            #expect(
                j.pendingReason
                    == "begin time \(ControllerCore.describeTime(t0 + 1_800)) (schedctl update \(j.id) --begin now)")
            clock.set(t0 + 1_799)
            await core.sweep()
            #expect(try await core.job(.job(j.id), by: ana).state == .pending)
            clock.set(t0 + 1_800)
            await core.sweep()
            #expect(try await core.job(.job(j.id), by: ana).state == .running)
        }
    }

    @Test func aDryRunSaysAHeldJobOrOneWithABeginTimeWouldWait() async throws {
        try await withClockedCore { core, _, _ in
            var held = job(gpus: 1)
            held.controls.hold = .user
            let h = try await core.dryRun(held, by: ana)
            #expect(h.allocation == nil)
            #expect(h.reason == "it would be held: it waits until released (schedctl release)")
            var later = job(gpus: 1)
            later.begin = .fromNow(.hours(1))
            let l = try await core.dryRun(later, by: ana)
            #expect(l.reason == "begin time \(ControllerCore.describeTime(t0 + 3_600))")
            #expect(l.estimatedStart == t0 + 3_600)
            // Nothing was submitted.
            #expect(try await core.jobs(by: ana).isEmpty)
        }
    }

    @Test func aBeginTimeInThePastIsNoBeginTime() async throws {
        try await withClockedCore { core, _, _ in
            var s = job(gpus: 1)
            s.begin = .at(t0 - 60)
            let j = try await core.submit(s, by: ana)
            #expect(j.state == .running)
            #expect(j.controls == nil)
        }
    }

    @Test func updateChangesTheTimeLimitNiceDependencyAndBeginOfAPendingJob() async throws {
        try await withClockedCore { core, _, _ in
            var s = job(gpus: 1)
            s.begin = .fromNow(.hours(2))
            let j = try await core.submit(s, by: ana)
            let dep = try await core.submit(job(gpus: 1), by: ana)
            guard
                case let .job(u) = try await core.update(
                    .job(j.id),
                    JobUpdateRequest(
                        time: .minutes(30), nice: 50, dependency: .some(try JobDependency(parsing: "afterok:\(dep.id)"))
                    ),
                    by: ana)
            else {
                Issue.record("one job answers one view")
                return
            }
            #expect(u.timeLimit == 1_800)
            #expect(u.request.time == .minutes(30))
            #expect(u.controls?.nice == 50)
            #expect(u.dependency == "afterok:\(dep.id)")
            // Begin now: the dependency is what it waits for now.
            guard case let .job(now) = try await core.update(.job(j.id), JobUpdateRequest(begin: .now), by: ana) else {
                Issue.record("one job answers one view")
                return
            }
            #expect(now.controls?.begin == nil)
            #expect(now.pendingReason == "waiting for job \(dep.id) to complete successfully (afterok); it is running")
            // Removing the dependency lets it start.
            _ = try await core.update(.job(j.id), JobUpdateRequest(dependency: .some(nil)), by: ana)
            #expect(try await core.job(.job(j.id), by: ana).state == .running)
        }
    }

    @Test func updateRefusesWhatCouldNeverRunAndANegativeNiceFromAUser() async throws {
        try await withCore { core, _, _ in
            _ = try await core.submit(job(gpus: 48), by: bo)
            let j = try await core.submit(submit(gpus: 1), by: ana)
            let tooLong = await #expect(throws: ControllerError.self) {
                _ = try await core.update(.job(j.id), JobUpdateRequest(time: .days(400)), by: ana)
            }
            #expect(tooLong?.kind == .badRequest)
            #expect(tooLong?.message == "time: at most 365d, not 400d")
            let overPartition = await #expect(throws: ControllerError.self) {
                _ = try await core.update(.job(j.id), JobUpdateRequest(time: .days(30)), by: ana)
            }
            #expect(overPartition?.message.hasPrefix("time limit 30d exceeds partition") == true)
            let nice = await #expect(throws: ControllerError.self) {
                _ = try await core.update(.job(j.id), JobUpdateRequest(nice: -5), by: ana)
            }
            #expect(nice?.kind == .forbidden)
            guard case let .job(byAdmin) = try await core.update(.job(j.id), JobUpdateRequest(nice: -5), by: root)
            else {
                Issue.record("one job answers one view")
                return
            }
            #expect(byAdmin.controls?.nice == -5)
            // Nothing was changed by the refusals.
            #expect(byAdmin.timeLimit == 3_600)
        }
    }

    @Test func aNegativeNiceOrAKillGraceOverThePartitionsIsRefusedAtSubmission() async throws {
        try await withCore { core, _, _ in
            var s = submit(gpus: 1)
            s.controls.nice = -1
            let nice = await #expect(throws: ControllerError.self) { _ = try await core.submit(s, by: ana) }
            #expect(nice?.kind == .forbidden)
            var g = submit(gpus: 1)
            g.controls.killGrace = 3_600
            let grace = await #expect(throws: ControllerError.self) { _ = try await core.submit(g, by: ana) }
            #expect(grace?.kind == .badRequest)
            #expect(grace?.message.hasPrefix("a kill grace of 3600s is longer than partition") == true)
        }
    }

    @Test func aSubmitDirLongerThanAPathIsRefusedBeforeItBecomesAVariable() throws {
        let long = "/" + String(repeating: "d", count: 5_000)
        let body = #"{"command": ["true"], "workdir": "/tmp", "submitDir": "\#(long)"}"#
        #expect(throws: ConfigError.self) { try SubmitRequest.parse(json: body) }
        let ok = #"{"command": ["true"], "workdir": "/tmp", "submitDir": "/home/ana/proj"}"#
        #expect(try SubmitRequest.parse(json: ok).controls.submitDir == "/home/ana/proj")
    }

    @Test func aSignalGoesToTheRunningJobsNodesOnceAndOnlyToRunningJobs() async throws {
        try await withCore { core, _, _ in
            let j = try await core.submit(job(gpus: 16), by: ana)
            #expect(j.state == .running)
            let nodes = j.allocation?.nodes.map(\.node) ?? []
            #expect(nodes.count == 2)
            _ = try await core.signal(.job(j.id), SignalRequest(signal: 10), by: ana)
            let queued = await core.pendingSignals
            #expect(Set(queued.keys) == Set(nodes))
            for n in nodes { #expect(queued[n] == [SignalOrder(runId: "\(j.id)", signal: 10)]) }
            // Batch only: the first node alone.
            _ = try await core.signal(.job(j.id), SignalRequest(signal: 12, batchOnly: true), by: ana)
            #expect(
                await core.pendingSignals[nodes[0]]?.last == SignalOrder(runId: "\(j.id)", signal: 12, batchOnly: true))
            #expect(await core.pendingSignals[nodes[1]]?.count == 1)
            _ = try await core.submit(job(gpus: 32), by: bo)
            let pending = try await core.submit(submit(gpus: 8), by: ana)
            #expect(pending.state == .pending)
            let e = await #expect(throws: ControllerError.self) {
                _ = try await core.signal(.job(pending.id), SignalRequest(signal: 10), by: ana)
            }
            #expect(e?.message == "job \(pending.id) is pending; only running jobs can be signalled")
        }
    }
}
