import Foundation
import RasporedAPI
import Testing

@testable import Scheduler

/// Slurm's job controls end to end, through `schedctl` as a researcher types them, on a real controller and
/// agent running real processes: submit held with Slurm's short options, release, signal a running job
/// (scancel --signal), and a job's own warning signal, stderr file and kill grace.
@Suite(.serialized) struct JobControlClusterTests {
    @Test func aHeldJobStartsOnReleaseAndASignalReachesItsProcesses() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let env = ["HOME": c.dir, "RASPORED_CONTROLLER": c.base, "RASPORED_TOKEN": c.adminToken]
        // Slurm's short forms on the command line: held, one GPU, 10 minutes, named, stderr to its own file.
        let script = """
            trap 'echo got-usr1' USR1; echo started; echo to-stderr >&2
            while [ ! -f stop ]; do sleep 0.1; done; echo stopping
            """
        let submitted = try c.tool(
            "schedctl",
            [
                "submit", "-H", "-G", "1", "-n", "1", "-c", "2", "-t", "10", "-J", "held", "-A", "ivi", "-e",
                "held-%j.err", "-D",
                c.dir + "/work",
                "--parsable", "--", "/bin/sh", "-c", script, c.dir,
            ], environment: env)
        #expect(submitted.status == 0, "\(submitted.stderr)")
        let id = try #require(Int64(submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let held = try await c.job(id)
        #expect(held.state == .pending)
        #expect(held.pendingReason == "held by its owner (schedctl release \(id))")
        #expect(held.timeLimit == 600)
        #expect(held.name == "held")
        // One task in all (no -N) of two cores: the job's task layout, kept and shown.
        #expect(held.controls?.tasks == TaskLayout(total: 1, coresPerTask: 2))
        #expect(held.request.cpus == 2)
        let show = try c.tool("schedctl", ["show", "\(id)"], environment: env)
        #expect(show.stdout.contains("1 in all, 2 core(s) each"), "\(show.stdout)")

        let release = try c.tool("schedctl", ["release", "\(id)"], environment: env)
        #expect(release.status == 0, "\(release.stderr)")
        #expect(release.stdout == "Released job \(id)\n")
        _ = try await c.waitForJob(id, in: [.running])
        try await c.waitFor("the job's first line", timeout: 30) { try await c.output(id).contains("started") }

        let signal = try c.tool("schedctl", ["cancel", "--signal", "USR1", "\(id)"], environment: env)
        #expect(signal.status == 0, "\(signal.stderr)")
        #expect(signal.stdout == "Sent SIGUSR1 to job \(id)\n")
        try await c.waitFor("the job to see SIGUSR1", timeout: 30) { try await c.output(id).contains("got-usr1") }
        // Signalled, not cancelled.
        #expect(try await c.job(id).state == .running)
        _ = FileManager.default.createFile(atPath: c.dir + "/work/stop", contents: nil)
        let ended = try await c.waitForJob(id, in: [.completed])
        #expect(ended.exitCode == 0)
        let err = try String(contentsOfFile: c.dir + "/work/held-\(id).err", encoding: .utf8)
        // Stderr went to its own file (the shell also noted there that its sleeping child died of SIGUSR1: the
        // signal went to every process of the job).
        #expect(err.hasPrefix("to-stderr\n"))
        #expect(try await !c.output(id).contains("to-stderr"))
    }

    @Test func nodelistAndExcludeFromTheCommandLinePutTheJobWhereTheySay() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01", "dgx02"])
        let env = ["HOME": c.dir, "RASPORED_CONTROLLER": c.base, "RASPORED_TOKEN": c.adminToken]
        func submit(_ options: [String]) throws -> Int64 {
            let t = try c.tool(
                "schedctl",
                ["submit", "--parsable", "-G", "1", "-A", "ivi", "-t", "5"] + options + [
                    "--", "/bin/sh", "-c", "true", c.dir,
                ],
                environment: env)
            #expect(t.status == 0, "\(t.stderr)")
            return Int64(t.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
        // The packing policy would put both on dgx01 first; the filters say otherwise.
        let named = try submit(["-w", "dgx02"])
        let excluded = try submit(["-x", "dgx01"])
        for id in [named, excluded] {
            let done = try await c.waitForJob(id, in: [.completed])
            #expect(done.allocation?.nodes.map(\.node) == ["dgx02"])
            #expect(done.request.nodelist == (id == named ? "dgx02" : nil))
        }
        // A node the cluster does not have is refused with its name, and nothing is submitted.
        let bad = try c.tool(
            "schedctl", ["submit", "-G", "1", "-A", "ivi", "-w", "dgx09", "--", "/bin/true"], environment: env)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("dgx09"), "\(bad.stderr)")
    }

    @Test func aWarningSignalBeforeTheTimeLimitLetsAJobCheckpointAndEnd() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let env = ["HOME": c.dir, "RASPORED_CONTROLLER": c.base, "RASPORED_TOKEN": c.adminToken]
        let path = c.dir + "/work/checkpoint.sh"
        try """
        #!/bin/sh
        #SBATCH --gres=gpu:1 --time=1 --signal=B:USR1@55 -A ivi
        trap 'echo "checkpoint $SLURM_JOB_ID on $SLURM_JOB_NODELIST"; exit 0' USR1
        while :; do sleep 0.1; done
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let submitted = try c.tool("schedctl", ["submit", "--parsable", "-D", c.dir + "/work", path], environment: env)
        #expect(submitted.status == 0, "\(submitted.stderr)")
        let id = try #require(Int64(submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        // A 60 s limit, the warning 55 s before it: the job checkpoints and ends well before its limit.
        let ended = try await c.waitForJob(id, in: [.completed], timeout: 45)
        #expect(try await c.output(id) == "checkpoint \(id) on dgx01\n")
        #expect(ended.controls?.warning == WarningSignal(signal: 10, secondsBefore: 55, batchOnly: true))
    }
}
