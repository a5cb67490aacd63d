import Foundation
import GRDB
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// A submission of `gpus` GPUs as an array (`spec`) and/or with a dependency.
func submit(gpus: Int, array spec: String? = nil, dependency: String? = nil, name: String? = nil) throws
    -> SubmitRequest
{
    var s = submit(gpus: gpus)
    s.array = try spec.map(ArraySpec.init(parsing:))
    s.dependency = try dependency.map(JobDependency.init(parsing:))
    s.name = name
    return s
}

extension ControllerCore {
    /// What an agent reports when a job's run ends: exit `code`.
    func end(_ id: Int64, code: Int32 = 0) throws(ControllerError) {
        try record(id, .exit(code: code, signal: nil, at: timestamp()))
    }
}

/// Job arrays and dependencies in the real service core over a real SQLite store (no agents: every node
/// takes work; runs end when the test reports their exit, as an agent would).
@Suite struct ArrayAndDependencyTests {
    @Test func anArraysCapKeepsAtMostThatManyTasksRunning() async throws {
        try await withCore { core, store, _ in
            let first = try await core.submit(try submit(gpus: 1, array: "0-5%2"), by: ana)
            #expect(first.id == 1)
            #expect(first.displayId == "1_0")
            #expect(first.arrayJobId == 1)
            #expect(first.arrayTaskId == 0)
            #expect(first.array == "0-5%2")
            #expect(first.arrayTaskCount == 6)
            #expect(first.state == .running)
            var tasks = try await core.jobs(array: 1, by: ana)
            // Each task is a job of its own, in index order.
            #expect(tasks.map(\.id) == [1, 2, 3, 4, 5, 6])
            #expect(tasks.map(\.displayId) == ["1_0", "1_1", "1_2", "1_3", "1_4", "1_5"])
            #expect(tasks.map(\.state) == [.running, .running, .pending, .pending, .pending, .pending])
            for t in tasks.dropFirst(2) {
                #expect(t.pendingReason == "array 1 runs at most 2 tasks at once (2 running)")
                // Held by the cap: no estimated start from the resources alone.
                #expect(t.estimatedStart == nil)
            }
            // Each end lets exactly one more start, in index order, until all ran.
            for done in 1...6 {
                try await core.end(Int64(done))
                tasks = try await core.jobs(array: 1, by: ana)
                #expect(tasks.filter { $0.state == .running }.count == min(2, 6 - done))
                #expect(tasks.filter { $0.state == .completed }.count == done)
            }
            #expect(try store.jobs(filter: JobFilter(arrayJobId: 1)).allSatisfy { $0.state == .completed })
            #expect(await core.clusterState.invariantViolations().isEmpty)
        }
    }

    @Test func aTaskAloneOrTheWholeArrayIsCancelled() async throws {
        try await withCore { core, _, _ in
            // 10 tasks of 8 GPUs: six run (one per node), four wait.
            _ = try await core.submit(try submit(gpus: 8, array: "0-9"), by: ana)
            let other = try await core.submit(submit(gpus: 1), by: ana)
            #expect(other.state == .pending)
            guard case let .job(one) = try await core.cancel(.task(array: 1, index: 7), by: ana) else {
                Issue.record("a task's cancel answers one job")
                return
            }
            #expect(one.displayId == "1_7")
            #expect(one.state == .cancelled)
            // A task's own id is that task alone, as in Slurm.
            guard case let .job(byId) = try await core.cancel(.job(3), by: ana) else {
                Issue.record("a task's own id answers one job")
                return
            }
            #expect(byId.displayId == "1_2")
            #expect(byId.stopRequested == "cancel")
            await #expect(throws: ControllerError(.forbidden, "job 1 belongs to ana")) {
                try await core.cancel(.job(1), by: bo)
            }
            guard case let .array(tasks) = try await core.cancel(.job(1), by: ana) else {
                Issue.record("an array's id answers every task")
                return
            }
            #expect(tasks.count == 10)
            #expect(tasks.filter { $0.state == .cancelled }.map(\.displayId) == ["1_6", "1_7", "1_8", "1_9"])
            #expect(tasks.filter { $0.state == .running }.allSatisfy { $0.stopRequested == "cancel" })
            // The running tasks end as their processes go, and the job that was waiting takes a freed node,
            // not a task of the cancelled array.
            for id in 1...6 { try await core.end(Int64(id), code: 143) }
            let after = try await core.jobs(array: 1, by: ana)
            #expect(after.allSatisfy { $0.state == .cancelled })
            #expect(try await core.job(other.id, by: ana).state == .running)
            await #expect(throws: ControllerError(.conflict, "array 1 has ended (all its 10 tasks); nothing to cancel"))
            {
                try await core.cancel(.job(1), by: ana)
            }
            await #expect(throws: ControllerError(.notFound, "no job 1_10: array 1 has no task 10 (tasks 0-9)")) {
                try await core.job(.task(array: 1, index: 10), by: ana)
            }
        }
    }

    @Test func afterokStartsOnSuccessAndAFailureCancelsTheChain() async throws {
        try await withCore { core, _, _ in
            let a = try await core.submit(submit(gpus: 1), by: ana)
            let b = try await core.submit(try submit(gpus: 1, dependency: "afterok:\(a.id)"), by: ana)
            #expect(b.state == .pending)
            #expect(b.pendingReason == "waiting for job 1 to complete successfully (afterok); it is running")
            #expect(b.dependency == "afterok:1")
            let dry = try await core.dryRun(try submit(gpus: 1, dependency: "afterok:1"), by: ana)
            #expect(dry.allocation == nil)
            #expect(dry.reason == b.pendingReason)
            try await core.end(a.id)
            #expect(try await core.job(b.id, by: ana).state == .running)

            let c = try await core.submit(submit(gpus: 1), by: ana)
            let d = try await core.submit(try submit(gpus: 1, dependency: "afterok:\(c.id)"), by: ana)
            let e = try await core.submit(try submit(gpus: 1, dependency: "afterok:\(d.id)"), by: ana)
            try await core.end(c.id, code: 2)
            let dEnded = try await core.job(d.id, by: ana)
            #expect(dEnded.state == .cancelled)
            #expect(dEnded.endReason == "dependency can never be satisfied: job \(c.id) failed (afterok:\(c.id))")
            let eEnded = try await core.job(e.id, by: ana)
            #expect(eEnded.state == .cancelled)
            #expect(
                eEnded.endReason == "dependency can never be satisfied: job \(d.id) was cancelled (afterok:\(d.id))")
        }
    }

    @Test func afternotokAfteranyAndAfterMeanWhatSlurmMeans() async throws {
        try await withCore { core, _, _ in
            let ok = try await core.submit(submit(gpus: 1), by: ana)
            let bad = try await core.submit(submit(gpus: 1), by: ana)
            let onFailure = try await core.submit(try submit(gpus: 1, dependency: "afternotok:\(ok.id)"), by: ana)
            let onFailure2 = try await core.submit(try submit(gpus: 1, dependency: "afternotok:\(bad.id)"), by: ana)
            let anyEnd = try await core.submit(try submit(gpus: 1, dependency: "afterany:\(bad.id)"), by: ana)
            #expect(onFailure2.pendingReason == "waiting for job 2 to fail (afternotok); it is running")
            #expect(anyEnd.pendingReason == "waiting for job 2 to end (afterany); it is running")
            try await core.end(ok.id)
            try await core.end(bad.id, code: 1)
            let notRun = try await core.job(onFailure.id, by: ana)
            #expect(notRun.state == .cancelled)
            #expect(
                notRun.endReason == "dependency can never be satisfied: job 1 completed successfully (afternotok:1)")
            #expect(try await core.job(onFailure2.id, by: ana).state == .running)
            #expect(try await core.job(anyEnd.id, by: ana).state == .running)
        }
        try await withCore { core, _, _ in
            // `after`: once the job has started. Fill the cluster so the target waits.
            for _ in 0..<6 { _ = try await core.submit(submit(gpus: 8), by: ana) }
            let target = try await core.submit(submit(gpus: 4), by: ana)
            let follower = try await core.submit(try submit(gpus: 1, dependency: "after:\(target.id)"), by: ana)
            #expect(target.state == .pending)
            #expect(follower.pendingReason == "waiting for job 7 to start (after); it is pending")
            // A node frees: the target starts, and then the follower, on the 4 GPUs left there.
            try await core.end(1)
            #expect(try await core.job(target.id, by: ana).state == .running)
            #expect(try await core.job(follower.id, by: ana).state == .running)
        }
    }

    @Test func anArraysIdInADependencyMeansEveryTaskAndATaskItself() async throws {
        try await withCore { core, _, _ in
            _ = try await core.submit(try submit(gpus: 1, array: "0-2"), by: ana)
            let all = try await core.submit(try submit(gpus: 1, dependency: "afterok:1"), by: ana)
            let one = try await core.submit(try submit(gpus: 1, dependency: "afterany:1_1"), by: ana)
            #expect(
                all.pendingReason == "waiting for all 3 tasks of array 1 to complete successfully (afterok); 3 running")
            #expect(one.pendingReason == "waiting for job 1_1 to end (afterany); it is running")
            try await core.end(2)
            #expect(try await core.job(one.id, by: ana).state == .running)
            #expect(
                try await core.job(all.id, by: ana).pendingReason
                    == "waiting for all 3 tasks of array 1 to complete successfully (afterok); 2 running, 1 ended")
            try await core.end(1)
            try await core.end(3)
            #expect(try await core.job(all.id, by: ana).state == .running)
        }
        try await withCore { core, _, _ in
            // One failed task is enough: afterok on the array can never hold.
            _ = try await core.submit(try submit(gpus: 1, array: "0-2"), by: ana)
            let all = try await core.submit(try submit(gpus: 1, dependency: "afterok:1"), by: ana)
            try await core.end(2, code: 1)
            let ended = try await core.job(all.id, by: ana)
            #expect(ended.state == .cancelled)
            #expect(
                ended.endReason
                    == "dependency can never be satisfied: 1 of the 3 tasks of array 1 did not complete successfully (1 failed) (afterok:1)"
            )
        }
    }

    @Test func aDependencyIsCheckedWhenSubmittedAndRefusedAsAWhole() async throws {
        try await withCore { core, store, _ in
            let mine = try await core.submit(submit(gpus: 1), by: ana)
            let failed = try await core.submit(submit(gpus: 1), by: ana)
            try await core.end(failed.id, code: 1)
            _ = try await core.submit(try submit(gpus: 1, array: "0-1"), by: ana)
            let before = try store.jobs().count
            let refusals: [(String, ControllerError)] = [
                ("afterok:99", ControllerError(.badRequest, "dependency afterok:99: no job 99")),
                ("afterok:\(mine.id):99", ControllerError(.badRequest, "dependency afterok:99: no job 99")),
                ("afterok:1_0", ControllerError(.badRequest, "dependency afterok:1_0: job 1 is not a job array")),
                (
                    "afterok:3_5",
                    ControllerError(.badRequest, "dependency afterok:3_5: array 3 has no task 5 (tasks 0-1)")
                ),
                ("afterok:9_0", ControllerError(.badRequest, "dependency afterok:9_0: no job 9")),
                (
                    "afterok:\(failed.id)",
                    ControllerError(
                        .badRequest, "dependency afterok:2 can never be satisfied: job 2 failed (afterok:2)")
                ),
            ]
            for (text, error) in refusals {
                await #expect(throws: error) { try await core.submit(try submit(gpus: 1, dependency: text), by: ana) }
            }
            // Only your own jobs: ana's are not bo's to wait for; an admin may name anyone's.
            await #expect(
                throws: ControllerError(
                    .forbidden, "dependency afterok:1: job 1 belongs to ana; a dependency may name only your own jobs")
            ) { try await core.submit(try submit(gpus: 1, dependency: "afterok:1"), by: bo) }
            #expect(try store.jobs().count == before)
            #expect(try await core.submit(try submit(gpus: 1, dependency: "afterany:1"), by: root).state == .pending)
            // `?`: refused only when no alternative can hold.
            #expect(
                try await core.submit(try submit(gpus: 1, dependency: "afterok:2?afternotok:2"), by: ana).state
                    == .running)
        }
    }

    @Test func anArraySubmitIsRecordedWholeOrNotAtAll() async throws {
        try await withCore { core, store, _ in
            // The store refuses the sixth task: nothing of the array may remain.
            try await store.pool.write { db in
                try db.execute(
                    sql: """
                        CREATE TRIGGER refuse_task BEFORE INSERT ON jobs WHEN NEW.array_task_id = 5
                        BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
                        """)
            }
            await #expect(throws: ControllerError.self) {
                try await core.submit(try submit(gpus: 1, array: "0-9"), by: ana)
            }
            #expect(try store.jobs().isEmpty)
            #expect(try await core.jobs(by: root).isEmpty)
            #expect(await core.clusterState.freeShapes().freeGPUs == 48)
            try await store.pool.write { db in try db.execute(sql: "DROP TRIGGER refuse_task") }
            let ok = try await core.submit(try submit(gpus: 1, array: "0-9"), by: ana)
            #expect(ok.arrayJobId == ok.id)
            #expect(try store.jobs(filter: JobFilter(arrayJobId: ok.id)).map { $0.array?.taskId } == Array(0...9))
        }
        // An absurd array never reaches the controller: the request does not parse.
        #expect {
            try SubmitRequest.parse(json: #"{"command": ["true"], "workdir": "/", "array": "0-99999"}"#)
        } throws: { error in
            "\(error)" == "line 1: array: an array of 100000 tasks is too large: at most 10000 tasks per array"
        }
    }

    @Test func aRestartKeepsArraysAndDependenciesAndReevaluatesThem() async throws {
        try await withCore { core, store, dir in
            _ = try await core.submit(try submit(gpus: 1, array: "0-3%1"), by: ana)
            let after = try await core.submit(try submit(gpus: 1, dependency: "afterok:1"), by: ana)
            let lone = try await core.submit(submit(gpus: 1), by: ana)
            let onLone = try await core.submit(try submit(gpus: 1, dependency: "afterok:\(lone.id)"), by: ana)
            // While no controller runs, the lone job's failure is recorded (as a restarted controller learns it
            // from its agent).
            try store.transition(lone.id, .exit(code: 1, signal: nil, at: .seconds(t0)))

            let again = try ControllerCore(
                spec: try platformSpec(), store: try StateStore(directory: dir, create: false), settings: noAgents,
                logger: quietLogger,
                clock: { t0 })
            await again.schedule()
            let tasks = try await again.jobs(array: 1, by: ana)
            #expect(tasks.map(\.displayId) == ["1_0", "1_1", "1_2", "1_3"])
            #expect(tasks.map(\.array) == ["0-3%1", "0-3%1", "0-3%1", "0-3%1"])
            #expect(tasks.map(\.state) == [.running, .pending, .pending, .pending])
            #expect(tasks[1].pendingReason == "array 1 runs at most 1 task at once (1 running)")
            let waiting = try await again.job(after.id, by: ana)
            #expect(waiting.dependency == "afterok:1")
            #expect(
                waiting.pendingReason
                    == "waiting for all 4 tasks of array 1 to complete successfully (afterok); 1 running, 3 pending")
            let cancelled = try await again.job(onLone.id, by: ana)
            #expect(cancelled.state == .cancelled)
            #expect(
                cancelled.endReason == "dependency can never be satisfied: job \(lone.id) failed (afterok:\(lone.id))")
            // The cap still holds, task by task, and the dependent runs once all four completed.
            for id in 1...4 {
                #expect(
                    try await again.jobs(array: 1, by: ana).filter { $0.state == .running }.map(\.id) == [Int64(id)])
                try await again.end(Int64(id))
            }
            #expect(try await again.job(after.id, by: ana).state == .running)
        }
    }

    @Test func singletonRunsOneJobOfANameAtATime() async throws {
        try await withCore { core, _, _ in
            let a = try await core.submit(try submit(gpus: 1, dependency: "singleton", name: "nightly"), by: ana)
            let b = try await core.submit(try submit(gpus: 1, dependency: "singleton", name: "nightly"), by: ana)
            let c = try await core.submit(try submit(gpus: 1, dependency: "singleton", name: "nightly"), by: ana)
            let bos = try await core.submit(try submit(gpus: 1, dependency: "singleton", name: "nightly"), by: bo)
            #expect(a.state == .running)
            #expect(bos.state == .running)
            #expect(b.pendingReason == "waiting for job 1, of the same name and user, to end (singleton)")
            #expect(c.pendingReason == "waiting for job 1, of the same name and user, to end (singleton)")
            try await core.end(a.id)
            #expect(try await core.job(b.id, by: ana).state == .running)
            #expect(
                try await core.job(c.id, by: ana).pendingReason
                    == "waiting for job 2, of the same name and user, to end (singleton)")
        }
    }
}
