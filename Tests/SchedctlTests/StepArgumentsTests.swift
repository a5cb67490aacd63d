import Testing

@testable import SchedctlCore

/// How run, alloc, exec and attach split their command line: the step's own options, submit's (or the
/// connection's), and the command, with or without `--` (as `srun hostname` is typed).
struct StepArgumentsTests {
    @Test func theStepsOptionsAreTakenOutAndTheRestIsSubmits() throws {
        let a = try StepArguments(["--gpus", "1", "--pty", "--time", "1h", "--node", "dgx02", "--", "bash", "-l"])
        #expect(a.pty)
        #expect(a.nodes == ["dgx02"])
        #expect(a.rest == ["--gpus", "1", "--time", "1h"])
        #expect(a.command == ["bash", "-l"])
        #expect(try StepArguments(["--jobid=42", "--", "true"]).jobId == 42)
        #expect(
            try StepArguments(["--node=dgx01,dgx03", "-w", "dgx04", "--", "true"]).nodes == ["dgx01", "dgx03", "dgx04"])
        #expect(throws: CLIError.self) { try StepArguments(["--jobid", "x", "--", "true"]) }
    }

    @Test func withoutDashDashTheCommandStartsAtTheFirstWordThatIsNoOptionOrValue() throws {
        let a = try StepArguments(["--gpus", "2", "--exclusive", "--pty", "python", "train.py", "--lr", "3"])
        #expect(a.rest == ["--gpus", "2", "--exclusive"])
        #expect(a.command == ["python", "train.py", "--lr", "3"])
        #expect(try StepArguments(["hostname"]).command == ["hostname"])
        #expect(try StepArguments(["--time=5m", "hostname"]).rest == ["--time=5m"])
    }

    @Test func everyJobOptionThatIsAFlagTakesNoValueAndSlurmsShortOnesWork() throws {
        // --requeue and -H take no value: the command starts right after them.
        let a = try StepArguments(["-N", "2", "--requeue", "-G", "2", "-H", "hostname", "-f"])
        #expect(a.rest == ["-N", "2", "--requeue", "-G", "2", "-H"])
        #expect(a.command == ["hostname", "-f"])
        // The nodes a step names are the nodelist of an allocation made for it.
        #expect(try StepArguments(["-w", "dgx02,dgx03", "--", "x"]).nodelistOption == ["--nodelist", "dgx02,dgx03"])
        #expect(try StepArguments(["--", "x"]).nodelistOption == [])
    }

    @Test func anAllocationJobIsNamedAndWritesNoOutputFileUnlessTold() throws {
        let (r, _, command) = try AllocationJob.described(
            options: ["-G", "1", "-A", "ivi", "--controller", "http://10.0.0.1:8420"], name: "bash", cwd: "/home/ana")
        #expect(r.name == "bash")
        #expect(r.output == "/dev/null")
        #expect(r.command == AllocationJob.holdCommand)
        #expect(r.request.gpus == 1)
        // The connection given after a job option is the one used.
        #expect(command.connection.controller == "http://10.0.0.1:8420")
        let (named, _, _) = try AllocationJob.described(
            options: ["-J", "nb", "-o", "alloc-%j.out"], name: "bash", cwd: "/home/ana")
        #expect(named.name == "nb")
        #expect(named.output == "alloc-%j.out")
    }

    @Test func execAndAttachTakeTheJobFirst() throws {
        let a = try StepArguments(["42", "--pty", "--token", "rsp_x", "--", "htop"], positionalJob: true)
        #expect(a.jobId == 42)
        #expect(a.rest == ["--token", "rsp_x"])
        #expect(a.command == ["htop"])
        let attach = try StepArguments(["42", "--node", "dgx02"], positionalJob: true)
        #expect(attach.jobId == 42 && attach.nodes == ["dgx02"] && attach.command.isEmpty)
    }

    /// A step in a running job runs one task on each of its nodes: options asking for other tasks or nodes are
    /// refused with what a step does, not ignored.
    @Test func aStepRefusesTasksAndNodesItWouldNotRun() throws {
        func problem(_ words: [String], jobNodes: String? = "2") throws -> String? {
            let a = try StepArguments(words + ["--", "true"])
            let line = try RunStepCommand.submitLine(a.rest)
            return RunStepCommand.stepProblem(line.options, named: a.nodes, jobNodes: jobNodes)
        }
        // What a step does anyway is accepted.
        #expect(try problem([]) == nil)
        #expect(try problem(["-n", "2"]) == nil)
        #expect(try problem(["--ntasks-per-node=1", "-N", "2"]) == nil)
        #expect(try problem(["-n", "1", "--node", "dgx02"]) == nil)
        // What it would not do is named.
        #expect(try problem(["-n", "16"])?.contains("-n/--ntasks 16: a step runs one task on each") == true)
        #expect(try problem(["-n", "2"], jobNodes: nil)?.contains("-n/--ntasks 2") == true)
        #expect(try problem(["--ntasks-per-node", "8"])?.contains("torchrun --nproc-per-node 8") == true)
        #expect(try problem(["--gpus-per-task", "1"])?.contains("--gpus-per-task") == true)
        #expect(try problem(["-N", "1"])?.contains("name them with --node") == true)
    }

    @Test func srunInAJobRefusesTasksPerNodeBeforeReachingTheController() throws {
        let r = try CLI.run(
            ["run", "--jobid", "5", "--ntasks-per-node", "2", "--", "true"],
            environment: ["PATH": "/usr/bin:/bin", "SLURM_NNODES": "2", "RASPORED_CONTROLLER": "http://127.0.0.1:9"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--ntasks-per-node 2: a step runs one task on each of its nodes"), "\(r.stderr)")
    }
}
