import RasporedAPI
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

    /// A step in a running job runs its options' tasks, else its job's, the same number on each of its nodes;
    /// options it cannot honour are refused with why, not ignored.
    @Test func aStepInAJobTakesItsTasksFromItsOptionsOrTheJobs() throws {
        let job = ["RASPORED_NODELIST": "dgx01,dgx02,dgx03", "SLURM_NNODES": "3"]
        func step(_ words: [String], _ environment: [String: String] = job) throws -> StepRequest {
            let a = try StepArguments(words + ["--", "true"])
            let line = try RunStepCommand.submitLine(a.rest)
            return try RunStepCommand.inJob(
                StepRequest(command: a.command, nodes: a.nodes), options: line.options, environment: environment)
        }
        func refusal(_ words: [String], _ environment: [String: String] = job) -> String {
            do {
                _ = try step(words, environment)
                return ""
            } catch { return "\(error)" }
        }
        // No options: every node of the job, one task each.
        #expect(try step([]) == StepRequest(command: ["true"]))
        // Tasks per node, from -n over the nodes or given; with their own GPUs and cores.
        #expect(try step(["-n", "6"]).tasksPerNode == 2)
        let four = try step(["--ntasks-per-node", "4", "--gpus-per-task", "2", "-c", "8"])
        #expect(four.tasksPerNode == 4 && four.gpusPerTask == 2 && four.coresPerTask == 8 && four.nodes == nil)
        // -N K is the job's first K nodes; -n below the node count, one task on each of the first N.
        #expect(try step(["-N", "2"]).nodes == ["dgx01", "dgx02"])
        #expect(try step(["-n", "1"]).nodes == ["dgx01"])
        #expect(try step(["-N", "1", "-n", "1", "-w", "dgx03"]).nodes == ["dgx03"])
        #expect(try step(["-N", "3"]).nodes == nil)
        // The job's layout is the default; the step's own options win.
        let layout = job.merging(["RASPORED_TASKS_PER_NODE": "4", "RASPORED_GPUS_PER_TASK": "1"]) { a, _ in a }
        #expect(try step([], layout).tasksPerNode == 4)
        #expect(try step([], layout).gpusPerTask == 1)
        #expect(try step(["-n", "3"], layout).tasksPerNode == 1)
        // What cannot be honoured is named.
        #expect(refusal(["-n", "4"]).contains("-n/--ntasks 4 over 3 node(s)"))
        #expect(refusal(["-n", "6", "--ntasks-per-node", "4"]).contains("is not --ntasks-per-node 4 × 3 node(s)"))
        #expect(refusal(["-N", "4"]).contains("-N/--nodes 4: the job has 3 node(s)"))
        #expect(refusal(["-N", "2", "-w", "dgx01"]).contains("but --node/-w names 1 node(s)"))
        #expect(refusal(["--ntasks-per-node", "300"]).contains("tasks per node are 1 to 256, not 300"))
        #expect(refusal(["-N", "1"], ["SLURM_NNODES": "2"]).contains("the job has 2 node(s)"))
        // Where the job's node count is unknown (or nonsense), -n needs the nodes named.
        #expect(refusal(["-n", "4"], [:]).contains("the job's node count is not known here"))
        #expect(refusal(["-n", "4"], ["SLURM_NNODES": "0"]).contains("the job's node count is not known here"))
        #expect(try step(["-n", "4", "--node", "dgx02"], [:]).tasksPerNode == 4)
        // A terminal is one task, whatever the job's layout.
        let a = try StepArguments(["--pty", "--", "bash"])
        let pty = try RunStepCommand.inJob(
            StepRequest(command: a.command, pty: true), options: try RunStepCommand.submitLine(a.rest).options,
            environment: layout)
        #expect(pty.tasksPerNode == nil && pty.gpusPerTask == nil)
    }

    @Test func aStepInItsOwnAllocationRunsTheTasksItAskedFor() throws {
        let line = try RunStepCommand.submitLine(["-N", "2", "--ntasks-per-node", "4", "--gpus-per-task", "1"])
        let step = RunStepCommand.inOwnAllocation(StepRequest(command: ["true"]), options: line.options, nodes: 2)
        #expect(step.tasksPerNode == 4 && step.gpusPerTask == 1 && step.coresPerTask == nil)
        // Its allocation is sized for them: 4 GPUs on each of 2 nodes.
        #expect(line.options.resourceRequest.gpus == 8)
    }

    @Test func srunInAJobRefusesWhatAStepCannotDoBeforeReachingTheController() throws {
        let r = try CLI.run(
            ["run", "--jobid", "5", "-n", "3", "--", "true"],
            environment: [
                "PATH": "/usr/bin:/bin", "RASPORED_JOB_ID": "5", "SLURM_NNODES": "2",
                "RASPORED_CONTROLLER": "http://127.0.0.1:9",
            ])
        #expect(r.status != 0)
        #expect(r.stderr.contains("-n/--ntasks 3 over 2 node(s)"), "\(r.stderr)")
    }
}

/// What of schedctl's environment a step's tasks get.
struct StepRequestEnvironmentTests {
    let environment = [
        "FOO": "bar", "RASPORED_TOKEN": "rsp_secret", "RASPORED_JOB_ID": "7", "SLURM_JOB_ID": "7",
        "RASPORED_CONTROLLER": "http://c", "BAD=NAME": "x",
    ]

    @Test func inItsJobEverythingButSecretsAndFromOutsideNotAnotherJobsVariables() throws {
        #expect(
            StepRequest.stepEnvironment(environment, inJob: true)
                == ["FOO": "bar", "RASPORED_JOB_ID": "7", "SLURM_JOB_ID": "7", "RASPORED_CONTROLLER": "http://c"])
        #expect(
            StepRequest.stepEnvironment(environment, inJob: false) == ["FOO": "bar", "RASPORED_CONTROLLER": "http://c"])
    }

    @Test func anEnvironmentTooBigForAStepLeavesTheStepTheJobsOwnAndATooBigCommandIsRefused() throws {
        let half = String(repeating: "x", count: StepRequest.maxBytes / 2)
        let big = ["A": half, "B": half]
        let request = try StepRequest.local(["true"], pty: false, nodes: nil, inJob: true, environment: big)
        #expect(request.environment == nil && request.command == ["true"])
        #expect(
            try StepRequest.local(["true"], pty: false, nodes: nil, inJob: true, environment: ["A": half]).environment
                == ["A": half])
        #expect {
            try StepRequest.local(["echo", half, half], pty: false, nodes: nil, inJob: true, environment: [:])
        } throws: { "\($0)".contains("a step's command and environment are at most 131072 bytes") }
    }
}
