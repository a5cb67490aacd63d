import Foundation
import Glibc
import RasporedAPI
import Scheduler
import TestAccounts
import Testing

/// Issue 31's interactive work and steps, with the real binaries: schedctl driven through a pseudo-terminal
/// of the test's own (typed input, the remote echo, Ctrl-C, the exit status), `alloc` with two steps, `exec`
/// into a running job (and refused for another user's, and for another job's credential), and `srun` in a
/// batch script.
@Suite(.serialized) struct InteractiveClusterTests {
    func token(_ c: LocalCluster, _ user: String) async throws -> String {
        let t: TokenView = try await c.post("/v1/tokens", TokenRequest(user: user), token: c.adminToken)
        return t.secret
    }

    /// What schedctl needs to reach the cluster as `token`'s user, with the built binaries first on PATH.
    func environment(_ c: LocalCluster, token: String) throws -> [String: String] {
        let tools = URL(fileURLWithPath: try LocalCluster.binary("schedctl")).deletingLastPathComponent().path
        var env = ["PATH": tools + ":/usr/bin:/bin", "RASPORED_CONTROLLER": c.base, "RASPORED_TOKEN": token]
        if let run = ProcessInfo.processInfo.environment["RASPORED_TEST_RUN"] { env["RASPORED_TEST_RUN"] = run }
        return env
    }

    func steps(_ c: LocalCluster, _ job: Int64) async throws -> [StepView] {
        let list: StepList = try await c.get("/v1/jobs/\(job)/steps", token: c.adminToken)
        return list.steps
    }

    @Test func aPtySessionEchoesTypedInputTakesCtrlCAndExitsWithTheShellsStatus() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let ana = try await token(c, "ana")
        var env = try environment(c, token: ana)
        env["TERM"] = "dumb"
        let terminal = try PseudoTerminal(
            "schedctl",
            [
                "run", "--pty", "--gpus", "1", "--account", "ivi", "--time", "10m", "--",
                "/bin/sh", "-c", "echo SHELL-UP; exec /bin/sh -i",
            ], environment: env, directory: c.dir + "/work")
        defer { terminal.stop() }
        try await terminal.waitFor("SHELL-UP")
        // Typed, echoed by the step's terminal, run on the node inside the job, on a terminal of its own.
        terminal.type("echo JOB=$RASPORED_JOB_ID. STEP=$RASPORED_STEP_ID. $((6 * 7)) $(stty size) $(tty)\r")
        try await terminal.waitFor("STEP=0. 42 \(PseudoTerminal.rows) \(PseudoTerminal.cols) /dev/pts/")
        #expect(terminal.output.contains("echo JOB=$RASPORED_JOB_ID."), "typed input is echoed: \(terminal.output)")
        // Ctrl-C interrupts what runs in the foreground, not the session.
        terminal.type("sh -c 'echo SLEEPING-$((1 + 1)); exec sleep 1000'\r")
        try await terminal.waitFor("SLEEPING-2")
        terminal.type("\u{03}")
        try await terminal.waitFor("^C")
        terminal.type("echo AFTER-$?\r")
        try await terminal.waitFor("AFTER-130")
        terminal.type("exit 7\r")
        #expect(try await terminal.exitStatus() == 7, "\(terminal.output)")

        let match = terminal.output.firstMatch(of: /JOB=(\d+)\./)
        let job = try #require(match.flatMap { Int64($0.1) }, "\(terminal.output)")
        // The allocation was the step's own: it is given back with the step.
        let ended = try await c.waitForJob(job, in: [.cancelled], timeout: 30)
        #expect(ended.state == .cancelled)
        let steps = try await steps(c, job)
        #expect(steps.map(\.exitCode) == [7], "\(steps)")
        #expect(steps.first?.pty == true)
    }

    @Test func allocRunsTwoStepsInItsAllocationAndEndsWithItsShell() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let ana = try await token(c, "ana")
        let script = """
            schedctl run -- sh -c 'echo FIRST in $RASPORED_JOB_ID step $RASPORED_STEP_ID'
            srun sh -c 'echo SECOND step $RASPORED_STEP_ID; exit 3'
            echo SECOND-STATUS=$? ALLOCATION=$RASPORED_JOB_ID
            exit 5
            """
        let terminal = try PseudoTerminal(
            "schedctl", ["alloc", "--gpus", "1", "--account", "ivi", "--time", "10m", "--", "/bin/sh", "-c", script],
            environment: try environment(c, token: ana), directory: c.dir + "/work")
        defer { terminal.stop() }
        #expect(try await terminal.exitStatus() == 5, "\(terminal.output)")
        let out = terminal.output
        let job = try #require(out.firstMatch(of: /ALLOCATION=(\d+)/).flatMap { Int64($0.1) }, "\(out)")
        #expect(out.contains("FIRST in \(job) step 0"), "\(out)")
        #expect(out.contains("SECOND step 1"), "\(out)")
        #expect(out.contains("SECOND-STATUS=3"), "\(out)")
        let ended = try await c.waitForJob(job, in: [.cancelled], timeout: 30)
        #expect(ended.state == .cancelled)
        let steps = try await steps(c, job)
        #expect(steps.map(\.id) == ["\(job).0", "\(job).1"])
        #expect(steps.map(\.exitCode) == [0, 3])
        #expect(steps.map(\.state) == [.completed, .failed])
    }

    @Test func execRunsInARunningJobOfOnesOwnOnlyAndAJobCredentialOpensOnlyItsJob() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let ana = try await token(c, "ana")
        let bo = try await token(c, "bo")
        let first = try await c.submit(c.job(c.sh("sleep 300"), gpus: 1), token: ana)
        let second = try await c.submit(c.job(c.sh("sleep 300"), gpus: 1), token: ana)
        for job in [first, second] {
            try await c.waitFor("job \(job.id) to run", timeout: 30) { try await c.job(job.id).state == .running }
        }

        let inJob = try c.tool(
            "schedctl",
            ["exec", "\(first.id)", "--", "sh", "-c", "echo IN $RASPORED_JOB_ID; printenv RASPORED_JOB_TOKEN; exit 6"],
            environment: try environment(c, token: ana))
        #expect(inJob.status == 6, "\(inJob.stderr)")
        #expect(inJob.stdout.contains("IN \(first.id)"), "\(inJob.stdout)")

        // A lot of output, every byte in order (each frame is written before the next is read).
        let lots = try c.tool(
            "schedctl", ["exec", "\(first.id)", "--", "seq", "1", "300000"], environment: try environment(c, token: ana)
        )
        #expect(lots.status == 0, "\(lots.stderr)")
        #expect(lots.stdout == (1...300_000).map(String.init).joined(separator: "\n") + "\n")

        let refused = try c.tool(
            "schedctl", ["exec", "\(first.id)", "--", "true"], environment: try environment(c, token: bo))
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("belongs to ana"), "\(refused.stderr)")

        // The first job's own credential opens steps in the first job, and in no other.
        let credential = try #require(
            inJob.stdout.split(separator: "\n").first { $0.hasPrefix("rsj_") }.map(String.init), "\(inJob.stdout)")
        let own = try c.tool(
            "schedctl", ["exec", "\(first.id)", "--token", credential, "--", "true"],
            environment: try environment(c, token: bo))
        #expect(own.status == 0, "\(own.stderr)")
        let other = try c.tool(
            "schedctl", ["exec", "\(second.id)", "--token", credential, "--", "true"],
            environment: try environment(c, token: bo))
        #expect(other.status != 0)
        let listed = try await c.raw("GET", "/v1/jobs/\(first.id)", token: credential)
        #expect(listed.status == 401, "a job credential is no token for the rest of the API")
        #expect(try await steps(c, first.id).count == 3)
    }

    @Test func attachOpensTheJobsShellOnATerminalAndLeavesTheJobRunning() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let ana = try await token(c, "ana")
        var submit = c.job(c.sh("sleep 300"), gpus: 1)
        submit.environment = ["SHELL": "/bin/sh"]
        let job = try await c.submit(submit, token: ana)
        try await c.waitFor("the job to run", timeout: 30) { try await c.job(job.id).state == .running }
        let terminal = try PseudoTerminal(
            "schedctl", ["attach", "\(job.id)"], environment: try environment(c, token: ana),
            directory: c.dir + "/work")
        defer { terminal.stop() }
        terminal.type("echo ATTACHED-$((40 + 2))-$RASPORED_JOB_ID $(tty)\r")
        try await terminal.waitFor("ATTACHED-42-\(job.id) /dev/pts/")
        terminal.type("exit\r")
        #expect(try await terminal.exitStatus() == 0, "\(terminal.output)")
        #expect(try await c.job(job.id).state == .running)
        #expect(try await steps(c, job.id).first?.pty == true)
    }

    @Test func aTerminalThatStopsReadingLosesNothingOfAPtyStep() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let ana = try await token(c, "ana")
        let job = try await c.submit(c.job(c.sh("sleep 300"), gpus: 1), token: ana)
        try await c.waitFor("the job to run", timeout: 30) { try await c.job(job.id).state == .running }
        let terminal = try PseudoTerminal(
            "schedctl", ["exec", "\(job.id)", "--pty", "--", "sh", "-c", "seq 1 200000; echo SEQ-$((1 + 1))-DONE"],
            environment: try environment(c, token: ana), directory: c.dir + "/work")
        defer { terminal.stop() }
        // Far more than every buffer on the way holds: the step's writes wait until the terminal reads again.
        terminal.pauseReading(true)
        try await Task.sleep(for: .seconds(3))
        terminal.pauseReading(false)
        try await terminal.waitFor("SEQ-2-DONE")
        #expect(try await terminal.exitStatus() == 0)
        let lines = terminal.output.components(separatedBy: "\r\n")
        let numbers = lines.compactMap { Int($0) }
        #expect(numbers == Array(1...200_000), "\(numbers.count) numbers, last \(numbers.last ?? 0)")
    }

    @Test(.enabled(if: TestUsers.available, "needs root to make Unix accounts"))
    func aStepRunsAsTheJobsUserInItsCgroupOnATerminalOfItsOwn() async throws {
        let users = try TestUsers()
        defer { users.removeAll() }
        let ana = try users.make()
        let c = LocalCluster()
        c.runAs = "submitter"
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let home = c.dir + "/home-ana"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        chown(home, ana.uid, ana.gid)
        let token: TokenView = try await c.post("/v1/tokens", TokenRequest(user: ana.name), token: c.adminToken)
        var submit = c.job(c.sh("cat /proc/self/cgroup > \(home)/job.cgroup; exec sleep 300"), gpus: 1)
        submit.workdir = home
        let job = try await c.submit(submit, token: token.secret)
        try await c.waitFor("the job to run", timeout: 30) {
            FileManager.default.fileExists(atPath: home + "/job.cgroup")
        }
        let terminal = try PseudoTerminal(
            "schedctl",
            [
                "exec", "\(job.id)", "--pty", "--", "sh", "-c",
                "echo USER-$(id -un) TTY-$(stat -c %U $(tty)) DIR-$(pwd); cat /proc/self/cgroup",
            ], environment: try environment(c, token: token.secret), directory: c.dir + "/work")
        defer { terminal.stop() }
        #expect(try await terminal.exitStatus() == 0, "\(terminal.output)")
        #expect(terminal.output.contains("USER-\(ana.name) TTY-\(ana.name) DIR-\(home)"), "\(terminal.output)")
        let jobCgroups = try String(contentsOfFile: home + "/job.cgroup", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let stepLines = Set(terminal.output.components(separatedBy: "\r\n"))
        #expect(!jobCgroups.isEmpty && jobCgroups.allSatisfy(stepLines.contains), "\(jobCgroups) \(stepLines)")
    }

    @Test func aStepWhoseAgentNeverDialsBackFailsWithTheReason() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let ana = try await token(c, "ana")
        let job = try await c.submit(c.job(c.sh("sleep 300"), gpus: 1), token: ana)
        try await c.waitFor("the job to run", timeout: 30) { try await c.job(job.id).state == .running }
        // The agent hears nothing more: it cannot dial back.
        let agent = try #require(c.agents["dgx01"]?.processIdentifier)
        Glibc.kill(agent, SIGSTOP)
        defer { Glibc.kill(agent, SIGCONT) }
        let step = try c.tool(
            "schedctl", ["exec", "\(job.id)", "--", "true"], environment: try environment(c, token: ana))
        #expect(step.status == 1)
        #expect(step.stderr.contains("the agent of dgx01 did not connect within 30 s"), "\(step.stderr)")
        let steps = try await steps(c, job.id)
        #expect(steps.map(\.state) == [.failed])
    }

    @Test func cancellingAJobEndsItsSteps() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let ana = try await token(c, "ana")
        let job = try await c.submit(c.job(c.sh("sleep 300"), gpus: 1), token: ana)
        try await c.waitFor("the job to run", timeout: 30) { try await c.job(job.id).state == .running }
        let step = try PseudoTerminal(
            "schedctl", ["exec", "\(job.id)", "--", "sh", "-c", "echo STEP-$((2 + 3)); exec sleep 1000"],
            environment: try environment(c, token: ana), directory: c.dir + "/work")
        defer { step.stop() }
        try await step.waitFor("STEP-5")
        #expect(try await c.raw("POST", "/v1/jobs/\(job.id)/cancel", token: ana).status == 200)
        let status = try await step.exitStatus()
        #expect(status == 128 + SIGKILL, "the step was killed with its job: \(step.output)")
        _ = try await c.waitForJob(job.id, in: [.cancelled], timeout: 30)
        #expect(try await steps(c, job.id).first?.signal == SIGKILL)
    }

    @Test func aMultiNodeBatchScriptRunsOnceAndItsSrunStepRunsOnEveryNode() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01", "dgx02"])
        let ana = try await token(c, "ana")
        let script = """
            echo BATCH-ON-RANK-$RASPORED_NODE_RANK
            srun sh -c 'echo STEP-NODE-$SLURM_NODEID-OF-$SLURM_STEP_NUM_NODES-RANK-$RASPORED_NODE_RANK'
            srun sh -c 'echo TASK-$SLURM_PROCID-$SLURM_LOCALID-OF-$SLURM_NTASKS-TORCH-$RANK-$LOCAL_RANK-$WORLD_SIZE-$LOCAL_WORLD_SIZE-$MASTER_ADDR:$MASTER_PORT'
            srun --node dgx02 sh -c 'echo ONLY-$SLURM_STEP_NODELIST-TASK-$SLURM_PROCID-OF-$SLURM_NTASKS-AT-$MASTER_ADDR; exit 2'
            echo LAST-STATUS=$?
            export FROM_SCRIPT=exported MASTER_PORT=29999
            srun sh -c 'echo ENV-$FROM_SCRIPT-$MASTER_PORT-$SLURMD_NODENAME-$SLURM_NODEID-$SLURM_JOB_GPUS'
            export BIG=$(head -c 100000 /dev/zero | tr '\\0' x)
            srun --node dgx02 sh -c 'echo BIG-${#BIG}'
            """
        var request = c.job(c.sh(script), gpus: 0)
        request.request = ResourceRequest(nodes: 2, gpusPerNode: 8, account: "ivi", time: .hours(1))
        let job = try await c.submit(request, token: ana)
        let ended = try await c.waitForJob(job.id, in: [.completed, .failed], timeout: 60)
        let out = try await c.output(job.id)
        #expect(ended.state == .completed, "\(out)")
        #expect(out.components(separatedBy: "BATCH-ON-RANK-").count == 2, "the script ran once: \(out)")
        #expect(out.contains("BATCH-ON-RANK-0"), "\(out)")
        #expect(out.contains("STEP-NODE-0-OF-2-RANK-0"), "\(out)")
        #expect(out.contains("STEP-NODE-1-OF-2-RANK-1"), "\(out)")
        // One task per node, torchrun's names beside Slurm's, all meeting at the first node on one port.
        let port = try #require(
            out.split(separator: "\n").first { $0.hasPrefix("TASK-0-") }?.split(separator: ":").last.map(String.init),
            "\(out)")
        #expect(out.contains("TASK-0-0-OF-2-TORCH-0-0-2-1-dgx01:\(port)"), "\(out)")
        #expect(out.contains("TASK-1-0-OF-2-TORCH-1-0-2-1-dgx01:\(port)"), "\(out)")
        #expect(out.contains("ONLY-dgx02-TASK-0-OF-1-AT-dgx02"), "\(out)")
        #expect(out.contains("LAST-STATUS=2"), "\(out)")
        // What the script exported reaches every task, as under Slurm (a port it chose included); which node
        // a task is on, and its GPUs, are its own node's.
        let gpus = try await c.job(job.id).allocation?.nodes.map { $0.gpus.map(String.init).joined(separator: ",") }
        #expect(out.contains("ENV-exported-29999-dgx01-0-\(gpus?[0] ?? "?")\n"), "\(out)")
        #expect(out.contains("ENV-exported-29999-dgx02-1-\(gpus?[1] ?? "?")\n"), "\(out)")
        // A 100 kB variable goes too: the start frame is split into WebSocket frames.
        #expect(out.contains("BIG-100000\n"), "\(out)")
        let steps = try await steps(c, job.id)
        #expect(
            steps.map(\.nodes) == [["dgx01", "dgx02"], ["dgx01", "dgx02"], ["dgx02"], ["dgx01", "dgx02"], ["dgx02"]])
        #expect(steps.map(\.exitCode) == [0, 0, 2, 0, 0])
    }

    @Test func srunStartsTheJobsTasksEachWithItsRanksGPUsAndCores() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01", "dgx02"])
        let ana = try await token(c, "ana")
        let script = """
            echo JOB-$SLURM_NTASKS-$SLURM_NTASKS_PER_NODE-$SLURM_TASKS_PER_NODE-$RASPORED_TASKS_PER_NODE-$SLURM_GPUS_PER_TASK-$SLURM_CPUS_PER_TASK
            echo ALL-$SLURMD_NODENAME-G-$CUDA_VISIBLE_DEVICES-C-$RASPORED_CPUS
            srun sh -c 'echo T-$SLURM_PROCID-$SLURM_LOCALID-$SLURM_NODEID-$SLURMD_NODENAME-OF-$SLURM_NTASKS-R-$RANK-$LOCAL_RANK-$WORLD_SIZE-$LOCAL_WORLD_SIZE-G-$CUDA_VISIBLE_DEVICES-C-$RASPORED_CPUS-$SLURM_CPUS_PER_TASK'
            srun -n 2 sh -c 'echo N2-$SLURM_PROCID-$SLURMD_NODENAME-OF-$SLURM_NTASKS'
            srun --ntasks-per-node 3 --gpus-per-task 3 true
            echo REFUSED=$?
            """
        var request = c.job(c.sh(script), gpus: 0)
        request.request = ResourceRequest(nodes: 2, gpusPerNode: 8, account: "ivi", time: .hours(1))
        request.controls.tasks = TaskLayout(perNode: 2, gpusPerTask: 4)
        let job = try await c.submit(request, token: ana)
        let ended = try await c.waitForJob(job.id, in: [.completed, .failed], timeout: 60)
        let out = try await c.output(job.id)
        #expect(ended.state == .completed, "\(out)")
        let lines = out.split(separator: "\n").map(String.init)
        // The batch script is the first task; its environment says what the job's tasks are.
        // A DGX H200's 112 cores over two tasks: 56 each.
        #expect(lines.contains("JOB-4-2-2(x2)-2-4-56"), "\(out)")
        // The job's share of dgx01, as the batch script sees it: all 8 GPUs and every core of the node (a
        // multi-node job takes whole nodes, and dgx02 is the same machine).
        let all = try #require(lines.first { $0.hasPrefix("ALL-dgx01-") }, "\(out)")
            .split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        let share = (
            gpus: Set(all[3].split(separator: ",").map(String.init)),
            cpus: Set(all[5].split(separator: ",").map(String.init))
        )
        #expect(share.gpus.count == 8 && !share.cpus.isEmpty, "\(out)")
        // Four tasks: two on each node, ranked node by node, each with 4 GPUs and half the cores of its own.
        var seen: [Int: (node: String, gpus: Set<String>, cpus: Set<String>)] = [:]
        for line in lines where line.hasPrefix("T-") {
            let p = line.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            // T-procid-local-nodeid-node-OF-ntasks-R-rank-localrank-world-localworld-G-gpus-C-cpus-cores
            let (procid, local, nodeId, node) = (Int(p[1])!, Int(p[2])!, Int(p[3])!, p[4])
            #expect(procid == nodeId * 2 + local, "\(line)")
            #expect(p[6] == "4" && p[8] == p[1] && p[9] == p[2] && p[10] == "4" && p[11] == "2", "\(line)")
            #expect(node == ["dgx01", "dgx02"][nodeId], "\(line)")
            let gpus = Set(p[13].split(separator: ",").map(String.init))
            let cpus = Set(p[15].split(separator: ",").map(String.init))
            #expect(gpus.count == 4, "\(line)")
            #expect(p[16] == "56", "\(line)")
            seen[procid] = (node, gpus, cpus)
        }
        #expect(seen.keys.sorted() == [0, 1, 2, 3], "\(out)")
        for (first, second) in [(0, 1), (2, 3)] {
            guard let a = seen[first], let b = seen[second] else { continue }
            #expect(a.gpus.isDisjoint(with: b.gpus) && a.gpus.union(b.gpus) == share.gpus, "\(out)")
            #expect(a.cpus.isDisjoint(with: b.cpus) && a.cpus.count == b.cpus.count, "\(out)")
            #expect(a.cpus.union(b.cpus).isSubset(of: share.cpus) && a.cpus.count * 2 == share.cpus.count, "\(out)")
        }
        // -n 2 over the two nodes: one task on each.
        #expect(lines.contains("N2-0-dgx01-OF-2") && lines.contains("N2-1-dgx02-OF-2"), "\(out)")
        // Three tasks of three GPUs do not fit a node's eight: refused with the arithmetic.
        #expect(out.contains("3 task(s) × 3 GPU(s) each need 9 GPUs; job's share of dgx01 has 8"), "\(out)")
        #expect(lines.contains { $0.hasPrefix("REFUSED=") && $0 != "REFUSED=0" }, "\(out)")
        let steps = try await steps(c, job.id)
        // The refused step never started: two steps, of 2 and 1 tasks per node.
        #expect(steps.map(\.tasksPerNode) == [2, 1], "\(steps)")
    }

    @Test func inputAfterTheFirstTaskEndedDoesNotEndTheOtherTasks() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let ana = try await token(c, "ana")
        let job = try await c.submit(c.job(c.sh("sleep 300"), gpus: 2), token: ana)
        try await c.waitFor("job \(job.id) to run", timeout: 30) { try await c.job(job.id).state == .running }
        // Two tasks: the first (which alone reads the input) ends at once, the second a second later.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try LocalCluster.binary("schedctl"))
        p.arguments = [
            "run", "--jobid", "\(job.id)", "--ntasks-per-node", "2", "--", "sh", "-c",
            "[ $LOCAL_RANK = 0 ] && exit 0; sleep 2; echo SURVIVED-$LOCAL_RANK \(c.dir)",
        ]
        p.environment = try environment(c, token: ana)
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        // Input typed after the first task has gone: nowhere to go, and no reason to end the step.
        try await Task.sleep(for: .seconds(1))
        for _ in 0..<5 { try? input.fileHandleForWriting.write(contentsOf: Data("more input\n".utf8)) }
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(30)
        while p.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0, "\(out)")
        #expect(out.contains("SURVIVED-1"), "\(out)")
    }

    @Test func runOutsideAnAllocationStartsTheTasksItAskedFor() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01", "dgx02"])
        let ana = try await token(c, "ana")
        var env = try environment(c, token: ana)
        env["FROM_LOGIN"] = "yes"
        // A login PATH without the job's tools: the tasks still find srun and scontrol.
        env["PATH"] = "/usr/bin:/bin"
        // srun on a login node: an allocation of two nodes, two tasks of one GPU each on both, then gone.
        let r = try c.tool(
            "schedctl",
            [
                "run", "-N", "2", "--ntasks-per-node", "2", "--gpus-per-task", "1", "-A", "ivi", "-t", "5", "--",
                "sh", "-c",
                "echo T-$RANK-$LOCAL_RANK-$WORLD_SIZE-$SLURMD_NODENAME-$CUDA_VISIBLE_DEVICES-$FROM_LOGIN-"
                    + "$(basename \"$(command -v scontrol)\")",
            ], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        let tasks = r.stdout.split(separator: "\n").filter { $0.hasPrefix("T-") }.map {
            $0.split(separator: "-").map(String.init)
        }
        // T-rank-local-world-node-gpu-env: ranks 0 to 3, two on each node, one GPU each, the login's variable.
        #expect(tasks.map { $0[1] }.sorted() == ["0", "1", "2", "3"], "\(r.stdout)")
        for t in tasks {
            #expect(t[2] == String(Int(t[1])! % 2) && t[3] == "4" && t[6] == "yes" && t[7] == "scontrol", "\(t)")
            #expect(t[4] == (Int(t[1])! < 2 ? "dgx01" : "dgx02"), "\(t)")
            #expect(t[5].split(separator: ",").count == 1, "\(t)")
        }
        #expect(Set(tasks.map { $0[4] + "/" + $0[5] }).count == 4, "each task its own GPU: \(r.stdout)")
        // The allocation goes with the step.
        try await c.waitFor("the allocation to end", timeout: 30) {
            let jobs: JobList = try await c.get("/v1/jobs", token: c.adminToken)
            return jobs.jobs.allSatisfy { $0.state.isFinal }
        }
    }

    @Test func aMultiNodeJobInASharingPartitionHoldsOnlyItsShareOfEachNode() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01", "dgx02"])
        let ana = try await token(c, "ana")
        // The platform's interactive partition shares nodes with multi-node jobs (cluster.yaml).
        let script = """
            srun sh -c 'echo SHARE-$SLURMD_NODENAME-$CUDA_VISIBLE_DEVICES'
            while [ ! -f stop ]; do sleep 0.1; done
            """
        var request = c.job(c.sh(script), gpus: 0)
        request.request = ResourceRequest(
            nodes: 2, gpusPerNode: 1, partition: "interactive", account: "ivi", time: .hours(1))
        let gang = try await c.submit(request, token: ana)
        let running = try await c.waitForJob(gang.id, in: [.running])
        let shares = try #require(running.allocation?.nodes)
        #expect(shares.map(\.node) == ["dgx01", "dgx02"])
        #expect(shares.allSatisfy { $0.gpus.count == 1 && !$0.exclusive }, "\(shares)")
        // Beside it, a 7-GPU job on each node runs at once.
        var others: [Int64] = []
        for node in ["dgx01", "dgx02"] {
            var big = c.job(["/bin/true"], gpus: 7)
            big.request.nodelist = node
            others.append(try await c.submit(big, token: ana).id)
        }
        for id in others { _ = try await c.waitForJob(id, in: [.completed], timeout: 30) }
        #expect(try await c.job(gang.id).state == .running)
        _ = FileManager.default.createFile(atPath: c.dir + "/work/stop", contents: nil)
        _ = try await c.waitForJob(gang.id, in: [.completed], timeout: 30)
        let out = try await c.output(gang.id)
        for share in shares {
            #expect(out.contains("SHARE-\(share.node)-\(share.gpus[0])\n"), "\(out)")
        }
    }

    @Test func srunInABatchScriptReturnsTheStepsStatusAndFailsASetEScript() async throws {
        let c = LocalCluster()
        defer { c.stopNow() }
        try await c.start(nodes: ["dgx01"])
        let ana = try await token(c, "ana")
        let script = """
            set -e
            srun sh -c 'echo FROM-STEP $RASPORED_STEP_ID of $RASPORED_JOB_ID'
            echo FIRST-STATUS=$?
            srun sh -c 'exit 4'
            echo NOT-REACHED
            """
        let job = try await c.submit(c.job(c.sh(script), gpus: 1), token: ana)
        let ended = try await c.waitForJob(job.id, in: [.completed, .failed], timeout: 60)
        let out = try await c.output(job.id)
        #expect(ended.state == .failed, "\(out)")
        #expect(ended.exitCode == 4, "\(out)")
        #expect(out.contains("FROM-STEP 0 of \(job.id)"), "\(out)")
        #expect(out.contains("FIRST-STATUS=0"), "\(out)")
        #expect(!out.contains("NOT-REACHED"), "\(out)")
        let steps = try await steps(c, job.id)
        #expect(steps.map(\.exitCode) == [0, 4], "\(steps)")
    }
}
