import Foundation
import GRDB
import Testing

@testable import Controller
@testable import Scheduler

/// Job arrays and dependencies in the state store: rows, lookups, and a database from before they existed.
@Suite struct ArrayStoreTests {
    @Test func anArrayIsRecordedAsOneJobPerTaskWithTheFirstTasksIdAsTheArrays() throws {
        try withStateDirectory { dir in
            let store = try StateStore(directory: dir, create: true)
            let lone = try store.submit(submission("lone"), at: .seconds(t0))
            let spec = try ArraySpec(parsing: "0-8:4%2")
            var dependency = try JobDependency(parsing: "afterok:\(lone)?singleton")
            dependency.conditions[0].target = .job(lone)
            let tasks = spec.indices.map { i in
                var s = submission("sweep")
                s.array = spec.task(i, arrayJobId: 0)
                s.dependency = dependency
                return s
            }
            let groups = try store.submit(groups: [tasks, [submission("after")]], at: .seconds(t0))
            let array = groups[0]
            #expect(array.map(\.id) == [lone + 1, lone + 2, lone + 3])
            #expect(array.allSatisfy { $0.array?.arrayJobId == lone + 1 })
            #expect(groups[1][0].array == nil)
            // What was returned is what was stored, every field.
            for j in array { #expect(try store.job(j.id) == j) }
            let read = try #require(try store.job(arrayJobId: lone + 1, taskId: 4))
            #expect(read.id == lone + 2)
            #expect(read.array?.taskCount == 3)
            #expect(read.array?.limit == 2)
            #expect(read.dependency == dependency)
            #expect(try store.job(arrayJobId: lone + 1, taskId: 5) == nil)
            #expect(try store.jobs(filter: JobFilter(arrayJobId: lone + 1)).map(\.id) == array.map(\.id))
            #expect(try store.arrayTasks(lone + 1).map(\.taskId) == [0, 4, 8])
        }
    }

    @Test func aDatabaseWrittenBeforeArraysIsMigratedAndKeepsItsJobs() throws {
        try withStateDirectory { dir in
            // The schema as the first controller left it, with a job in it.
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                let pool = try DatabasePool(path: dir + "/" + StateStore.fileName)
                try StateStore.migrator.migrate(pool, upTo: "v1: jobs, node states, tokens")
                try pool.write { db in
                    try db.execute(
                        sql: """
                            INSERT INTO jobs (name, user, account, partition, request, time_limit, state, submit_time,
                                command, workdir)
                            VALUES ('old', 'ana', 'ivi', 'gpu', '{"gpus":2,"exclusive":false,"sameNuma":false}', 3600,
                                'pending', \(t0), '["python","train.py"]', '/home/ana')
                            """)
                }
                try pool.close()
            }
            let store = try StateStore(directory: dir, create: false)
            let old = try #require(try store.job(1))
            #expect(old.name == "old")
            #expect(old.request.gpus == 2)
            #expect(old.array == nil)
            #expect(old.dependency == nil)
            let applied = try store.pool.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }
            #expect(applied.starts(with: ["v1: jobs, node states, tokens", "v2: job arrays and dependencies"]))
            // New jobs go on from there, arrays included.
            var task = submission("new")
            task.array = try ArraySpec(parsing: "0-1").task(0, arrayJobId: 0)
            let ids = try store.submit(groups: [[task]], at: .seconds(t0))
            #expect(ids[0][0].id == 2)
            #expect(ids[0][0].array?.arrayJobId == 2)
        }
    }
}
