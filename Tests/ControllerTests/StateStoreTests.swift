import Foundation
import GRDB
import Testing

@testable import Controller
@testable import Scheduler

@Suite struct StateStoreTests {
    @Test func submitAssignsGrowingIdsAndReadsBackEveryField() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            let a = try store.submit(submission("a"), at: .seconds(t0))
            let b = try store.submit(submission("b", noRequeue: true), at: .seconds(t0 + 1))
            #expect(b > a)
            let job = try #require(try store.job(a))
            #expect(job == Job(id: a, submission: submission("a"), submitted: .seconds(t0)))
            #expect(try store.job(b)?.noRequeue == true)
            #expect(try store.job(9999) == nil)
        }
    }

    @Test func batchSubmitIsOneTransaction() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            let ids = try store.submit((0..<50).map { submission("j\($0)") }, at: .seconds(t0))
            #expect(ids.count == 50)
            #expect(ids == ids.sorted())
            #expect(Set(ids).count == 50)
            #expect(try store.jobs().map(\.name) == (0..<50).map { "j\($0)" })
        }
    }

    @Test func everyFieldOfARunningAndAFinishedJobRoundTrips() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            let id = try store.submit(submission(), at: .seconds(t0))
            var job = try #require(try store.job(id))
            job.state = .failed
            job.startMillis = (t0 + 5) * 1000 + 1
            job.endMillis = (t0 + 9) * 1000 + 999
            job.releasedMillis = (t0 + 10) * 1000 + 42
            job.exitCode = 3
            job.signal = 6
            job.allocation = allocation("dgx01", "dgx02")
            job.pendingReason = "a reason"
            job.endReason = "node dgx02 lost"
            job.stopRequest = JobStopRequest(kind: .timeLimit, by: nil, at: t0 + 8)
            job.requeueCount = 3
            job.output = nil
            try store.update(job)
            #expect(try store.job(id) == job)
        }
    }

    @Test func filtersByStateAndUserAndPages() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            let ana = try store.submit(submission("a1", user: "ana"), at: .seconds(t0))
            let bo = try store.submit(submission("b1", user: "bo"), at: .seconds(t0))
            let ana2 = try store.submit(submission("a2", user: "ana"), at: .seconds(t0))
            try store.transition(ana, .start(allocation: allocation("dgx01"), at: .seconds(t0 + 1)))
            try store.transition(bo, .cancel(by: "bo", at: .seconds(t0 + 1)))
            #expect(try store.jobs(filter: JobFilter(user: "ana")).map(\.id) == [ana, ana2])
            #expect(try store.jobs(filter: JobFilter(states: [.running])).map(\.id) == [ana])
            #expect(try store.jobs(filter: .active).map(\.id) == [ana, ana2])
            #expect(try store.jobs(filter: JobFilter(states: [.cancelled, .pending], user: "bo")).map(\.id) == [bo])
            #expect(try store.jobs(filter: JobFilter(states: [])).isEmpty)
            #expect(try store.jobs(filter: JobFilter(afterId: ana, limit: 1)).map(\.id) == [bo])
        }
    }

    @Test func transitionAppliesTheLifecycleAndPersistsIt() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            let id = try store.submit(submission(), at: .seconds(t0))
            let started = try store.transition(id, .start(allocation: allocation("dgx03"), at: .seconds(t0 + 2)))
            #expect(started.actions == [.launch(nodes: ["dgx03"])])
            #expect(try store.job(id) == started.job)
            let ended = try store.transition(id, .exit(code: 0, signal: nil, at: .seconds(t0 + 9)))
            #expect(ended.actions == [.release(allocation("dgx03"))])
            #expect(try store.job(id)?.state == .completed)
            #expect(try store.job(id)?.endTime == t0 + 9)
        }
    }

    @Test func refusedTransitionsSayWhyAndChangeNothing() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            let id = try store.submit(submission(), at: .seconds(t0))
            try store.transition(id, .start(allocation: allocation("dgx03"), at: .seconds(t0 + 2)))
            try store.transition(id, .exit(code: 0, signal: nil, at: .seconds(t0 + 9)))
            let before = try store.job(id)
            let error = #expect(throws: StateStoreError.self) {
                try store.transition(id, .cancel(by: "ana", at: .seconds(t0 + 10)))
            }
            #expect(error?.kind == .refused)
            #expect(error?.message == "job \(id) is completed; it cannot be cancelled")
            #expect(error?.transitionError?.state == .completed)
            #expect(try store.job(id) == before)
            let missing = #expect(throws: StateStoreError.self) {
                try store.transition(777, .cancel(by: "ana", at: .seconds(t0)))
            }
            #expect(missing?.kind == .notFound)
            #expect(missing?.message == "no job 777")
            var ghost = try #require(before)
            ghost.id = 778
            #expect(throws: StateStoreError.self) { try store.update(ghost) }
        }
    }

    @Test func nodeStatesAreRecordedAndReplaced() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            #expect(try store.nodeStates().isEmpty)
            try store.setNodeState("dgx02", .drain, reason: "replace GPU 3", actor: "root", at: t0)
            try store.setNodeState("dgx01", .down, reason: "no heartbeat for 60s", actor: "controller", at: t0 + 1)
            #expect(try store.nodeStates().map(\.node) == ["dgx01", "dgx02"])
            #expect(
                try store.nodeState("dgx02")
                    == NodeStateRecord(node: "dgx02", state: .drain, reason: "replace GPU 3", actor: "root", since: t0))
            try store.setNodeState("dgx02", .up, reason: nil, actor: "mira", at: t0 + 5)
            #expect(
                try store.nodeState("dgx02")
                    == NodeStateRecord(node: "dgx02", state: .up, reason: nil, actor: "mira", since: t0 + 5))
            #expect(try store.nodeState("dgx06") == nil)
        }
    }

    @Test func everythingSurvivesCloseAndReopen() throws {
        try withStateDirectory { dir in
            var expected: [Job] = []
            let token: (id: Int64, secret: String)
            do {
                let store = try StateStore(directory: dir, create: true)
                let ids = try store.submit([submission("x"), submission("y"), submission("z")], at: .seconds(t0))
                try store.transition(ids[0], .start(allocation: allocation("dgx01"), at: .seconds(t0 + 1)))
                try store.transition(ids[1], .cancel(by: "ana", at: .seconds(t0 + 1)))
                try store.setNodeState("dgx04", .drain, reason: "firmware", actor: "root", at: t0 + 2)
                token = try store.createToken(user: "root", role: .admin, at: t0)
                expected = try store.jobs()
                try store.close()
            }
            let reopened = try StateStore(directory: dir, create: false)
            #expect(try reopened.jobs() == expected)
            #expect(try reopened.jobs().map(\.state) == [.running, .cancelled, .pending])
            #expect(try reopened.nodeState("dgx04")?.reason == "firmware")
            #expect(
                try reopened.principal(token.secret, at: t0) == Principal(tokenId: token.id, user: "root", role: .admin)
            )
            // Ids keep growing after a restart (AUTOINCREMENT never reuses one).
            #expect(try reopened.submit(submission(), at: .seconds(t0 + 3)) > expected.map(\.id).max()!)
            #expect(try reopened.integrityCheck() == ["ok"])
        }
    }

    @Test func theDatabaseIsInWALModeWithFullSync() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            // The writer's setting is the one that matters: it is the connection that commits.
            let (mode, sync) = try store.pool.writeWithoutTransaction { db in
                (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
            }
            #expect(mode == "wal")
            #expect(sync == 2, "2 is FULL")
        }
    }

    @Test func anUnopenableDirectorySaysWhichPath() throws {
        try withStateDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let blocker = dir + "/not-a-dir"
            _ = FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
            let error = #expect(throws: StateStoreError.self) { try StateStore(directory: blocker, create: true) }
            #expect(error?.kind == .cannotOpen)
            #expect(error?.message.hasPrefix("state store: cannot open \(blocker)/state.sqlite: ") == true)
        }
    }

    @Test func aDatabaseFromANewerControllerIsRefused() throws {
        try withStateDirectory { dir in
            do {
                let store = try StateStore(directory: dir, create: true)
                try store.pool.write { db in
                    try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')")
                }
                try store.close()
            }
            let error = #expect(throws: StateStoreError.self) { try StateStore(directory: dir, create: false) }
            #expect(error?.kind == .newerSchema)
            #expect(error?.message.contains("newer controller") == true)
        }
    }
}
