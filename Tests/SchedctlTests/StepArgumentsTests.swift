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
}
