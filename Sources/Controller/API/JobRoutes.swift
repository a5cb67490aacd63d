import Foundation
import HTTPTypes
import Hummingbird
import RasporedAPI
import Scheduler

/// `/v1/jobs`: submit (or a dry run), list, show, output, cancel, hold, release, update, signal. `{id}` is a job id or an array task (`42_7`).
struct JobRoutes {
    let core: ControllerCore

    func register(on group: RouterGroup<APIRequestContext>) {
        group.post("/jobs") { request, context in
            let principal = try context.requirePrincipal()
            let query = try QueryParameters(request, allowed: ["dryRun"])
            let body = try await RequestBody.object(request, context)
            let submission: SubmitRequest
            do { submission = try SubmitRequest(config: body) } catch let error as ConfigError {
                throw APIError(.badRequest, error.description)
            }
            if try query.flag("dryRun") == true {
                return try JSONResponse.make(try await core.dryRun(submission, by: principal))
            }
            return try JSONResponse.make(try await core.submit(submission, by: principal), status: .created)
        }
        group.get("/jobs/{id}/output") { request, context in
            let principal = try context.requirePrincipal()
            let query = try QueryParameters(request, allowed: ["offset", "node"])
            let id = try core.jobId(try RequestBody.jobReference(context))
            let offset = try query.integer("offset", in: 0...Int64.max, what: "a byte position") ?? 0
            let node = query.text("node")
            let slice = try core.output(job: id, offset: offset, node: node, by: principal)
            var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
            headers[HTTPField.Name(OutputHeaders.size)!] = String(slice.size)
            headers[HTTPField.Name(OutputHeaders.complete)!] = slice.complete ? "true" : "false"
            headers[HTTPField.Name(OutputHeaders.state)!] = slice.state.rawValue
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: [UInt8](slice.bytes))))
        }
        group.get("/jobs") { request, context in
            let principal = try context.requirePrincipal()
            let query = try QueryParameters(request, allowed: ["state", "array", "limit", "after", "collapse"])
            var states: Set<JobState>?
            if let text = query.text("state") {
                states = []
                for name in text.split(separator: ",", omittingEmptySubsequences: false) {
                    guard let s = JobState(rawValue: String(name)) else {
                        let names = JobState.allCases.map(\.rawValue).joined(separator: ", ")
                        throw APIError(
                            .badRequest, "unknown job state '\(TerminalText.escaped(String(name)))' (states: \(names))")
                    }
                    states?.insert(s)
                }
            }
            let array = try query.integer("array", in: 1...Int64.max, what: "a job array's id")
            let limit = try query.integer("limit", in: 1...Int64(JobList.maxLimit), what: "the most jobs to list")
            let after = try query.integer("after", in: 0...Int64.max, what: "the job id to list after")
            let page = try await core.jobPage(
                states: states, array: array, after: after, limit: Int(limit ?? Int64(JobList.defaultLimit)),
                collapse: try query.flag("collapse") ?? false, by: principal)
            return try JSONResponse.make(
                JobList(jobs: page.jobs, policy: await core.queuePolicy.rawValue, next: page.next))
        }
        group.get("/jobs/{id}") { request, context in
            _ = try QueryParameters(request, allowed: [])
            let principal = try context.requirePrincipal()
            return try JSONResponse.make(try await core.job(try RequestBody.jobReference(context), by: principal))
        }
        group.post("/jobs/{id}/cancel") { request, context in
            _ = try QueryParameters(request, allowed: [])
            let principal = try context.requirePrincipal()
            return try Self.answer(try await core.cancel(try RequestBody.jobReference(context), by: principal))
        }
        group.post("/jobs/{id}/hold") { request, context in
            _ = try QueryParameters(request, allowed: [])
            let principal = try context.requirePrincipal()
            return try Self.answer(try await core.hold(try RequestBody.jobReference(context), by: principal))
        }
        group.post("/jobs/{id}/release") { request, context in
            _ = try QueryParameters(request, allowed: [])
            let principal = try context.requirePrincipal()
            return try Self.answer(try await core.release(try RequestBody.jobReference(context), by: principal))
        }
        group.post("/jobs/{id}/update") { request, context in
            _ = try QueryParameters(request, allowed: [])
            let principal = try context.requirePrincipal()
            let ref = try RequestBody.jobReference(context)
            let body = try await RequestBody.object(request, context)
            let update: JobUpdateRequest
            do { update = try JobUpdateRequest(config: body) } catch let error as ConfigError {
                throw APIError(.badRequest, error.description)
            }
            return try Self.answer(try await core.update(ref, update, by: principal))
        }
        group.post("/jobs/{id}/signal") { request, context in
            _ = try QueryParameters(request, allowed: [])
            let principal = try context.requirePrincipal()
            let ref = try RequestBody.jobReference(context)
            let body = try await RequestBody.object(request, context)
            let signal: SignalRequest
            do { signal = try SignalRequest(config: body) } catch let error as ConfigError {
                throw APIError(.badRequest, error.description)
            }
            return try Self.answer(try await core.signal(ref, signal, by: principal))
        }
    }

    /// One job's view, or the list of an array's tasks the action applied to.
    static func answer(_ outcome: ReferenceOutcome) throws -> Response {
        switch outcome {
        case let .job(view): return try JSONResponse.make(view)
        case let .array(tasks): return try JSONResponse.make(JobList(jobs: tasks))
        }
    }
}
