import Foundation
import RasporedAPI
import Scheduler
import Testing

@testable import Agent

/// A job array task on the node: Slurm's `SLURM_ARRAY_*` variables and the `%A`, `%a` output templates.
@Suite struct ArrayTaskEnvironmentTests {
    let task = ArrayTask(arrayJobId: 42, taskId: 8, minTask: 0, maxTask: 12, taskCount: 4, step: 4, limit: 2)

    @Test func anArrayTaskGetsRasporedsAndSlurmsVariables() throws {
        var a = assignment("49", "true", workdir: "/home/ana", output: "log-%A_%a-%j.out")
        a.array = task
        // Sent over the wire and read back, as the agent receives it.
        let received = try JSONDecoder().decode(RunAssignment.self, from: JSONEncoder().encode(a))
        let mapping = AssignmentMapping(
            node: try DiscoveredNode.discover(.xml(path: Repo.fixture("dgx-h200.xml"))), bind: false)
        let r = try mapping.request(for: received)
        #expect(r.array == task)
        let env = JobEnvironment.variables(for: r, host: "dgx03")
        let expected = [
            "ARRAY_JOB_ID": "42", "ARRAY_TASK_ID": "8", "ARRAY_TASK_MIN": "0", "ARRAY_TASK_MAX": "12",
            "ARRAY_TASK_COUNT": "4", "ARRAY_TASK_STEP": "4",
        ]
        for (name, value) in expected {
            #expect(env["SLURM_" + name] == value, "SLURM_\(name)")
            #expect(env["RASPORED_" + name] == value, "RASPORED_\(name)")
        }
        #expect(env["RASPORED_JOB_ID"] == "49")
        #expect(
            JobEnvironment.expand(r.output, jobId: r.visibleJobId, name: r.name, host: "dgx03", array: r.array)
                == "log-42_8-49.out")
    }

    @Test func aJobNotInAnArrayHasNoArrayVariablesAndItsIdForA() {
        let r = LaunchRequest(jobId: "7", name: "n", command: ["true"], workingDirectory: "/")
        let env = JobEnvironment.variables(for: r, host: "dgx01")
        #expect(env.keys.filter { $0.contains("ARRAY") }.isEmpty)
        #expect(JobEnvironment.expand("%A_%a.out", jobId: "7", name: "n", host: "dgx01") == "7_.out")
        // Slurm's %n: the node's rank in the job.
        #expect(JobEnvironment.expand("%x-%j_%n.out", jobId: "7", name: "n", host: "dgx02", nodeRank: 1) == "n-7_1.out")
    }

    @Test func theLauncherNamesTheOutputFileWithTheArrayTemplates() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("raspored-array-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let launcher = try JobLauncher(
            stateDirectory: dir.appendingPathComponent("state").path, shimExecutable: try Repo.execShim(), host: "dgx03"
        )
        var r = LaunchRequest(
            jobId: "49", name: "sweep", command: ["/bin/sh", "-c", "echo task=$SLURM_ARRAY_TASK_ID"],
            workingDirectory: dir.path)
        r.output = "%x-%A_%a.out"
        r.array = task
        r.bind = false
        _ = try await launcher.launch(r)
        let ended = await launcher.wait("49")
        #expect(ended?.state == .completed)
        let out = try String(contentsOf: dir.appendingPathComponent("sweep-42_8.out"), encoding: .utf8)
        #expect(out == "task=8\n")
    }
}
