import Hummingbird
import RasporedAPI
import Scheduler

/// `/v1/jobs`: submit, list, show, cancel.
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
            return try JSONResponse.make(try await core.submit(submission, by: principal), status: .created)
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
            return try JSONResponse.make(JobList(jobs: try await core.jobs(state: state, by: principal)))
        }
        group.get("/jobs/{id}") { _, context in
            let principal = try context.requirePrincipal()
            return try JSONResponse.make(try await core.job(try RequestBody.jobId(context), by: principal))
        }
        group.post("/jobs/{id}/cancel") { _, context in
            let principal = try context.requirePrincipal()
            return try JSONResponse.make(try await core.cancel(try RequestBody.jobId(context), by: principal))
        }
    }
}
