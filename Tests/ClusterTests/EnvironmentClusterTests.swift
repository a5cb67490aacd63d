import Foundation
import RasporedAPI
import Scheduler
import Testing

/// A job's environment end to end: `schedctl submit` captures the submitter's, the controller keeps it, the
/// agent runs the job with it and the scheduler's variables, and nothing of the agent's own.
@Suite(.serialized, .timeLimit(.minutes(3))) struct EnvironmentClusterTests {
    /// Runs the schedctl binary as a researcher would, in `environment` alone; its stdout.
    func schedctl(_ c: LocalCluster, _ arguments: [String], environment: [String: String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try LocalCluster.binary("schedctl"))
        p.arguments = arguments
        p.environment = environment.merging(["RASPORED_SCHEDCTL_SERVER": "off"]) { given, _ in given }
        p.currentDirectoryURL = URL(fileURLWithPath: c.dir + "/work")
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ClusterError("schedctl \(arguments.joined(separator: " ")) exited \(p.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The job's output as `env` prints it, name to value.
    func variables(_ output: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            out[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return out
    }

    @Test func aJobGetsItsSubmittersEnvironmentAndTheSchedulersButNeverTheAgentsOrTheToken() async throws {
        let c = LocalCluster()
        // The agent's own secrets, in its environment as an operator might leave them.
        c.agentEnvironment = ["AGENT_SECRET": "agent-only", "RASPORED_TOKEN": "rsp_the_agents_own"]
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let submitter = [
            "PATH": "/usr/bin:/bin", "HOME": c.dir, "RASPORED_CONTROLLER": c.base, "RASPORED_TOKEN": c.adminToken,
            "SUBMITTER_VAR": "from the submitter", "SLURM_JOB_ID": "9001", "RASPORED_ACCOUNT": "not-mine",
        ]
        let submit = ["submit", "--parsable", "--gpus", "1", "--time", "10m", "--account", "ivi"]

        // ALL, and a scheduler's variable named explicitly (ALL alone leaves RASPORED_* job variables out).
        let all = try #require(
            Int64(
                try schedctl(
                    c, submit + ["--export=ALL,RASPORED_ACCOUNT=not-mine", "--", "/usr/bin/env"], environment: submitter
                ).trimmingCharacters(in: .whitespacesAndNewlines)))
        let done = try await c.waitForJob(all, in: [.completed, .failed])
        #expect(done.state == .completed, "\(c.logs())")
        // PATH, HOME, RASPORED_CONTROLLER, SUBMITTER_VAR and RASPORED_ACCOUNT: not the token, not the
        // submitter's SLURM_JOB_ID.
        #expect(done.environmentCount == 5)
        let env = variables(try await c.output(all))
        #expect(env["SUBMITTER_VAR"] == "from the submitter")
        #expect(env["HOME"] == c.dir)
        // srun's directory (the agent's) first, for steps: the submitter's PATH after it.
        let tools = URL(fileURLWithPath: try LocalCluster.binary("srun")).deletingLastPathComponent().path
        #expect(env["PATH"] == tools + ":/usr/bin:/bin")
        #expect(env["RASPORED_CONTROLLER"] == c.base)
        #expect(env["RASPORED_TOKEN"] == nil)
        #expect(env["AGENT_SECRET"] == nil)
        // The job's own, not the one of the job it was submitted from.
        #expect(env["SLURM_JOB_ID"] == "\(all)")
        // The scheduler's variables win over the submitter's.
        #expect(env["RASPORED_ACCOUNT"] == "ivi")
        #expect(env["RASPORED_JOB_ID"] == "\(all)")
        #expect(
            env["CUDA_VISIBLE_DEVICES"] == done.allocation?.nodes.first?.gpus.map(String.init).joined(separator: ","))
        let show = try schedctl(c, ["show", "\(all)"], environment: submitter)
        #expect(show.contains("5 variables exported (values not shown)"))
        #expect(!show.contains("from the submitter"))

        let none = try #require(
            Int64(
                try schedctl(
                    c, submit + ["--export=NONE", "--", "/usr/bin/env"], environment: submitter
                ).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(try await c.waitForJob(none, in: [.completed, .failed]).state == .completed)
        let bare = variables(try await c.output(none))
        #expect(bare["SUBMITTER_VAR"] == nil)
        #expect(bare["AGENT_SECRET"] == nil)
        #expect(bare["RASPORED_TOKEN"] == nil)
        #expect(bare["RASPORED_JOB_ID"] == "\(none)")
        #expect(bare["RASPORED_USER"] == "admin")
    }
}
