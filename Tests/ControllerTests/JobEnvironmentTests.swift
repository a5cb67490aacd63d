import Foundation
import GRDB
import Hummingbird
import RasporedAPI
import Testing

@testable import Controller
@testable import Scheduler

/// A job's environment (`SubmitRequest.environment`): checked at the API, stored once per submission,
/// kept across restarts, given to every task of an array, and sent to the agent with the scheduler's
/// variables over it.
@Suite struct JobEnvironmentTests {
    static let env = ["LANG": "C.UTF-8", "WANDB_PROJECT": "bert", "SECRET_KEY": "s3cr3t-value"]

    func submitWith(_ env: [String: String], gpus: Int = 1, array: String? = nil) throws -> SubmitRequest {
        var s = submit(gpus: gpus)
        s.environment = env
        s.array = try array.map { try ArraySpec(parsing: $0) }
        return s
    }

    @Test(arguments: [
        (#"{"A=B": "x"}"#, "line 1: environment: a variable's name must not contain '=' ('A=B')"),
        (#"{"": "x"}"#, "line 1: environment: a variable's name must not be empty"),
        (#"{"A": "x\u0000y"}"#, "line 1: environment: A: a value must not contain a NUL byte"),
        (#"{"A\u0000B": "x"}"#, "line 1: environment: a variable's name must not contain a NUL byte"),
        (
            #"{"RASPORED_TOKEN": "rsp_x"}"#,
            "line 1: environment: RASPORED_TOKEN is a client secret; it is never passed into a job"
        ),
        (#"{"A": null}"#, #"line 1: environment: A: a value must be text ("" for an empty one), not null"#),
        (#"{"A": ["x"]}"#, "line 1: environment: A: a value must be text"),
        (#"{"A": "1", "A": "2"}"#, "line 1: malformed JSON at column 116: the field 'A' is given twice"),
        (#"["A=1"]"#, #"line 1: environment: expected an object of variables and their values: {"LANG": "C.UTF-8"}"#),
    ])
    func badEnvironmentsAreRefusedWithTheReason(environment: String, message: String) async throws {
        try await withLiveAPI { api in
            let r = try await api.call(.post, "/v1/jobs", body: jobBody(gpus: 1, #", "environment": \#(environment)"#))
            #expect(r.status == .badRequest)
            #expect(r.error == message)
            // Nothing was recorded.
            #expect(try api.core.store.jobs().isEmpty)
        }
    }

    @Test func environmentsPastTheLimitsAreRefused() async throws {
        try await withLiveAPI { api in
            func send(_ env: [String: String]) async throws -> (HTTPResponse.Status, String?) {
                let fields = env.map { #""\#($0.key)": "\#($0.value)""# }.joined(separator: ", ")
                let r = try await api.call(.post, "/v1/jobs", body: jobBody(gpus: 1, #", "environment": {\#(fields)}"#))
                return (r.status, r.error)
            }
            var many: [String: String] = [:]
            for i in 0...JobEnvironmentRules.maxVariables { many["V\(i)"] = "1" }
            var (status, error) = try await send(many)
            #expect(status == .badRequest)
            #expect(error == "line 1: environment: 4097 variables; a job's environment takes at most 4096")
            var big: [String: String] = [:]
            for i in 0..<5 { big["BIG\(i)"] = String(repeating: "y", count: 120_000) }
            (status, error) = try await send(big)
            #expect(status == .badRequest)
            #expect(
                error
                    == "line 1: environment: 600030 bytes in all (NAME=value and a NUL for each variable); a job's "
                    + "environment takes at most 524288 (512 KiB)")
            let long = String(repeating: "z", count: JobEnvironmentRules.maxVariableBytes)
            (status, error) = try await send(["LONG": long])
            #expect(status == .badRequest)
            #expect(
                error
                    == "line 1: environment: LONG is 131076 bytes long (NAME=value); at most 131071 fit in a job's "
                    + "environment")
            // Just within every limit: accepted.
            let fits = String(repeating: "z", count: JobEnvironmentRules.maxVariableBytes - 5)
            (status, error) = try await send(["LONG": fits])
            #expect(status == .created)
        }
    }

    @Test func theOwnerSeesHowManyVariablesNeverTheirValues() async throws {
        try await withLiveAPI { api in
            let r = try await api.call(
                .post, "/v1/jobs",
                body: jobBody(gpus: 1, #", "environment": {"SECRET_KEY": "s3cr3t-value", "LANG": "C"}"#))
            #expect(r.status == .created)
            let job = try r.decode(JobView.self)
            #expect(job.environmentCount == 2)
            for uri in ["/v1/jobs/\(job.id)", "/v1/jobs"] {
                let answer = try await api.call(.get, uri)
                #expect(answer.status == .ok)
                #expect(!String(buffer: answer.body).contains("s3cr3t-value"), "\(uri)")
            }
            #expect(try await api.call(.get, "/v1/jobs/\(job.id)").decode(JobView.self).environmentCount == 2)
            // Lists leave it out (they do not read environments).
            #expect(try await api.call(.get, "/v1/jobs").decode(JobList.self).jobs.map(\.environmentCount) == [nil])
        }
    }

    @Test func theStoreKeepsOneRowPerSubmissionAndEveryTaskReadsIt() throws {
        try withStateDirectory { dir in
            var ids: [Int64] = []
            do {
                let store = try StateStore(directory: dir, create: true)
                var one = submission()
                one.environment = Self.env
                var task = submission("sweep")
                task.environment = ["SWEEP": "yes"]
                let tasks = (0..<3).map { i in
                    var t = task
                    t.array = ArrayTask(
                        arrayJobId: 0, taskId: i, minTask: 0, maxTask: 2, taskCount: 3, step: 1, limit: nil)
                    return t
                }
                let recorded = try store.submit(groups: [[one], tasks, [submission("plain")]], at: .seconds(t0))
                ids = recorded.flatMap { $0.map(\.id) }
                #expect(recorded[0][0].environment == Self.env)
                let rows = try store.read("count") { db in
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM job_environments") ?? -1
                }
                #expect(rows == 2)
            }
            // A fresh store over the same directory: what a restarted controller reads.
            let store = try StateStore(directory: dir, create: false)
            #expect(try store.job(ids[0])?.environment == Self.env)
            for id in ids[1...3] { #expect(try store.job(id)?.environment == ["SWEEP": "yes"]) }
            #expect(try store.job(arrayJobId: ids[1], taskId: 2)?.environment == ["SWEEP": "yes"])
            #expect(try store.job(ids[4])?.environment == [:])
            let all = try store.jobs(filter: JobFilter(environments: true))
            #expect(all.map(\.environment) == [Self.env, ["SWEEP": "yes"], ["SWEEP": "yes"], ["SWEEP": "yes"], [:]])
            #expect(try store.jobs().allSatisfy { $0.environment == nil })
            // Transitions rewrite the row, never the environment.
            try store.transition(ids[0], .start(allocation: allocation("dgx01"), at: .seconds(t0 + 1)))
            #expect(try store.job(ids[0])?.environment == Self.env)
        }
    }

    @Test func aDatabaseWrittenBeforeEnvironmentsIsMigratedAndItsJobsHaveNone() async throws {
        let dir = try await oldStateDirectory(upTo: "v3: reservations")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try StateStore(directory: dir, create: false)
        #expect(try store.job(1)?.environment == [:])
        var s = submission()
        s.environment = Self.env
        let id = try store.submit(s, at: .seconds(t0))
        #expect(try store.job(id)?.environment == Self.env)
    }

    @Test func theAssignmentCarriesTheEnvironmentUnderTheSchedulersVariablesAcrossARestart() async throws {
        try await withCore { core, store, _ in
            var env = Self.env
            env["RASPORED_ACCOUNT"] = "someone-else"
            env["RASPORED_USER"] = "root"
            let job = try await core.submit(try submitWith(env), by: ana)
            #expect(job.state == .running)
            let expected = Self.env.merging([
                "RASPORED_ACCOUNT": "ivi", "RASPORED_PARTITION": "gpu", "RASPORED_USER": "ana",
                "SLURM_JOB_ACCOUNT": "ivi", "SLURM_JOB_PARTITION": "gpu", "SLURM_JOB_USER": "ana",
                "SLURM_SUBMIT_DIR": "/home/ana",
            ]) { _, s in s }
            let node = try #require(job.allocation?.nodes.first?.node)
            #expect(await core.assignment(try await core.job(job.id), on: node)?.environment == expected)

            let again = try ControllerCore(
                spec: try platformSpec(), store: store, settings: noAgents, logger: quietLogger, clock: { t0 })
            #expect(await again.assignment(try await again.job(job.id), on: node)?.environment == expected)
        }
    }

    @Test func everyTaskOfAnArrayGetsTheEnvironment() async throws {
        try await withCore { core, store, _ in
            let first = try await core.submit(try submitWith(["SWEEP": "lr"], array: "0-3"), by: ana)
            let tasks = try await core.jobs(array: first.id, by: ana)
            #expect(tasks.count == 4)
            #expect(tasks.map(\.environmentCount) == [1, 1, 1, 1])
            for t in tasks where t.state == .running {
                let node = try #require(t.allocation?.nodes.first?.node)
                #expect(await core.assignment(try await core.job(t.id), on: node)?.environment["SWEEP"] == "lr")
            }
            #expect(
                try store.jobs(filter: JobFilter(arrayJobId: first.id, environments: true)).allSatisfy {
                    $0.environment == ["SWEEP": "lr"]
                })
        }
    }
}
