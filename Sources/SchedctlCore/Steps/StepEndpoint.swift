import Foundation
import NIOSSL
import RasporedAPI

/// Where and with which secret a step is opened in job `jobId`. Inside that job (its `RASPORED_JOB_ID`, with
/// the `RASPORED_JOB_TOKEN` its agent gave it, as `srun` in a batch script runs), the job's own credential
/// and `RASPORED_STEP_CONTROLLER`/`RASPORED_STEP_CA`, unless `--token` or `--controller` is given; else the
/// usual controller and token (`ClientConfig`).
struct StepEndpoint {
    var base: String
    var token: String
    var tls: TLSConfiguration?

    static func resolve(
        connection: ConnectionOptions, jobId: Int64, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> StepEndpoint {
        if connection.token == nil, connection.controller == nil, let credential = environment["RASPORED_JOB_TOKEN"],
            !credential.isEmpty, environment["RASPORED_JOB_ID"] == String(jobId)
        {
            var stepEnvironment = environment
            stepEnvironment["RASPORED_CONTROLLER"] =
                environment["RASPORED_STEP_CONTROLLER"] ?? environment["RASPORED_CONTROLLER"]
            stepEnvironment["RASPORED_CA"] = environment["RASPORED_STEP_CA"] ?? environment["RASPORED_CA"]
            stepEnvironment["RASPORED_TOKEN"] = credential
            let config = try ClientConfig.resolve(
                controllerFlag: nil, tokenFlag: nil, caFlag: connection.caFile,
                allowPlainHTTP: connection.allowPlainHTTP, environment: stepEnvironment)
            return StepEndpoint(base: config.controller, token: credential, tls: try config.tlsConfiguration())
        }
        let client = try connection.client()
        return StepEndpoint(base: client.base, token: client.token, tls: client.tls)
    }

    /// Opens the step and copies its streams; returns its exit status, or throws when it could not run.
    func run(jobId: Int64, _ request: StepRequest) async throws -> Int32 {
        let session = StepSession(base: base, token: token, tls: tls, jobId: jobId, request: request)
        switch try await session.run() {
        case .exited(let exit):
            if let reason = exit.reason { printStderr("schedctl: step of job \(jobId): \(reason)") }
            return exit.status
        case .failed(let why):
            throw CLIError(why, status: ExitStatus.refused)
        }
    }
}

extension StepRequest {
    /// A request for `command`, with the local terminal's size and TERM for a pty, and this process's
    /// environment for its tasks (`stepEnvironment`; none, with a warning, when it does not fit a step, which
    /// then runs in the job's own); a `CLIError` when the request is too big even so.
    static func local(
        _ command: [String], pty: Bool, nodes: [String]?, inJob: Bool,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> StepRequest {
        let size = pty ? LocalTerminal.size() : nil
        for (name, value) in environment where !JobEnvironmentRules.secrets.contains(name) {
            if let why = JobEnvironmentRules.problem(name: name)
                ?? JobEnvironmentRules.problem(name: name, value: value)
            {
                printStderr("schedctl: warning: \(why); not passed to the step")
            }
        }
        var request = StepRequest(
            command: command, pty: pty, rows: size?.rows, cols: size?.cols, term: pty ? environment["TERM"] : nil,
            nodes: nodes, environment: stepEnvironment(environment, inJob: inJob))
        if let why = request.problem, request.environment != nil {
            // Too big to carry: the step runs in the job's own environment instead, as steps did before.
            var bare = request
            bare.environment = nil
            if bare.problem == nil {
                printStderr("schedctl: warning: \(why); the step gets the job's own environment instead")
                request = bare
            }
        }
        if let why = request.problem { throw CLIError(why) }
        return request
    }

    /// What of `environment` a step's tasks get, as Slurm's srun passes its own: all of it but client secrets
    /// and what no job may hold, and, from outside the job (`inJob` false), the scheduler's variables of
    /// another job (`JobExport.dropped`), as a submission leaves them.
    static func stepEnvironment(_ environment: [String: String], inJob: Bool) -> [String: String] {
        environment.filter { name, value in
            !JobEnvironmentRules.secrets.contains(name) && (inJob || JobExport.dropped(name) == nil)
                && JobEnvironmentRules.problem(name: name) == nil
                && JobEnvironmentRules.problem(name: name, value: value) == nil
        }
    }
}
