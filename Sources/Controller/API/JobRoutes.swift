import Foundation
import HTTPTypes
import Hummingbird
import RasporedAPI
import Scheduler

/// `/v1/jobs`: submit (or a dry run), list, show, output, cancel. `{id}` is a job id or an array task (`42_7`).
struct JobRoutes {
    let core: ControllerCore

    func register(on group: RouterGroup<APIRequestContext>) {
        group.post("/jobs") { request, context in
            let principal = try context.requirePrincipal()
            let text = try await RequestBody.text(request, context)
            let submission: SubmitRequest
            do { submission = try SubmitRequest.parse(json: text) } catch let error as ConfigError {
                throw APIError(.badRequest, error.description)
            }
            if let dry = request.uri.queryParameters.get("dryRun"), dry == "true" || dry == "1" {
                return try JSONResponse.make(try await core.dryRun(submission, by: principal))
            }
            return try JSONResponse.make(try await core.submit(submission, by: principal), status: .created)
        }
        group.get("/jobs/{id}/output") { request, context in
            let principal = try context.requirePrincipal()
            let id = try core.jobId(try RequestBody.jobReference(context))
            var offset: Int64 = 0
            if let text = request.uri.queryParameters.get("offset") {
                guard let o = Int64(text), o >= 0 else {
                    throw APIError(.badRequest, "offset is a byte position (0 or more), not '\(text)'")
                }
                offset = o
            }
            let node = request.uri.queryParameters.get("node").map { String($0) }
            let slice = try core.output(job: id, offset: offset, node: node, by: principal)
            var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
            headers[HTTPField.Name(OutputHeaders.size)!] = String(slice.size)
            headers[HTTPField.Name(OutputHeaders.complete)!] = slice.complete ? "true" : "false"
            headers[HTTPField.Name(OutputHeaders.state)!] = slice.state.rawValue
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: [UInt8](slice.bytes))))
        }
        group.get("/jobs") { request, context in
            let principal = try context.requirePrincipal()
            var state: JobState?
            if let text = request.uri.queryParameters.get("state") {
                guard let s = JobState(rawValue: text) else {
                    let names = JobState.allCases.map(\.rawValue).joined(separator: ", ")
                    throw APIError(.badRequest, "unknown job state '\(text)' (states: \(names))")
                }
                state = s
            }
            var array: Int64?
            if let text = request.uri.queryParameters.get("array") {
                guard let a = Int64(text), a > 0 else {
                    throw APIError(.badRequest, "array is a job array's id, a positive number, not '\(text)'")
                }
                array = a
            }
            let jobs = try await core.jobs(state: state, array: array, by: principal)
            return try JSONResponse.make(JobList(jobs: jobs, policy: await core.queuePolicy.rawValue))
        }
        group.get("/jobs/{id}") { _, context in
            let principal = try context.requirePrincipal()
            return try JSONResponse.make(try await core.job(try RequestBody.jobReference(context), by: principal))
        }
        group.post("/jobs/{id}/cancel") { _, context in
            let principal = try context.requirePrincipal()
            switch try await core.cancel(try RequestBody.jobReference(context), by: principal) {
            case let .job(view): return try JSONResponse.make(view)
            case let .array(tasks): return try JSONResponse.make(JobList(jobs: tasks))
            }
        }
    }
}
