import Foundation
import RasporedAPI
import Testing

@testable import SchedctlCore
@testable import Scheduler

/// `schedctl submit`'s flags, scripts and job files → the API's `SubmitRequest`.
@Suite struct SubmitMappingTests {
    static let dir: String = {
        let d = Scratch.root.appendingPathComponent("schedctl-submit-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()

    func write(_ name: String, _ text: String) throws -> String {
        let path = Self.dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func submission(_ args: [String], cwd: String = "/home/ana") throws -> (SubmitRequest, [String]) {
        try SubmitCommand.parse(args).submission(cwd: cwd)
    }

    @Test func everyFlagMapsToTheRequest() throws {
        let (r, messages) = try submission([
            "--gpus", "8", "--gpu-model", "H200", "--min-gpu-memory", "141GB", "--cpus", "56", "--mem", "1TiB",
            "--scratch", "2TB", "--storage", "10TB", "--nodes", "2", "--gpus-per-node", "4", "--exclusive",
            "--same-numa", "--time", "2-00:00:00", "--partition", "gpu", "--account", "ivi", "--name", "big",
            "--output", "big-%j.out", "--workdir", "runs/1", "--no-requeue", "--", "torchrun", "--nproc", "8", "t.py",
        ])
        #expect(messages.isEmpty)
        #expect(
            r.request
                == ResourceRequest(
                    gpus: 8, gpuModel: "H200", minGpuMemory: .gigabytes(141), cpus: 56, memory: .tebibytes(1),
                    scratch: .terabytes(2), storage: .terabytes(10), nodes: 2, gpusPerNode: 4, exclusive: true,
                    sameNuma: true, partition: "gpu", account: "ivi", time: .days(2)))
        #expect(r.command == ["torchrun", "--nproc", "8", "t.py"])
        #expect(r.name == "big")
        #expect(r.output == "big-%j.out")
        #expect(r.noRequeue)
        // A relative workdir is taken from the current directory.
        #expect(r.workdir == "/home/ana/runs/1")
    }

    @Test func defaultsAreTheCurrentDirectoryAndNothingElse() throws {
        let (r, _) = try submission(["--gpus", "1", "--", "python", "train.py"], cwd: "/work/x")
        #expect(r.request == ResourceRequest(gpus: 1))
        #expect(r.workdir == "/work/x")
        #expect(r.name == nil)
        #expect(r.output == nil)
        #expect(!r.noRequeue)
        // On the wire: flat, as the controller parses it.
        let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
        let back = try SubmitRequest.parse(json: json)
        #expect(back == r)
    }

    @Test func theTaskLayoutGoesOnTheWireAndItsBoundsAreChecked() throws {
        let (r, _) = try submission(["-N", "2", "--ntasks-per-node", "4", "--gpus-per-task", "2", "-c", "6", "--", "x"])
        #expect(r.controls.tasks == TaskLayout(perNode: 4, coresPerTask: 6, gpusPerTask: 2))
        // Four tasks × 2 GPUs on each of 2 nodes; 4 × 6 cores on each.
        #expect(r.request.gpus == 16 && r.request.cpus == 24)
        let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
        #expect(try SubmitRequest.parse(json: json) == r)
        // --ntasks without --nodes is a total, spread over the nodes the job gets; with them, per node.
        let (wide, _) = try submission(["-n", "512", "--gpus-per-task", "1", "--", "x"])
        #expect(wide.controls.tasks == TaskLayout(total: 512, gpusPerTask: 1) && wide.request.gpus == 512)
        #expect(TaskLayout(total: 512).tasksPerNode(nodes: 64) == 8 && TaskLayout(total: 6).tasksPerNode(nodes: 4) == 2)
        let (spread, _) = try submission(["-N", "2", "-n", "6", "--", "x"])
        #expect(spread.controls.tasks == TaskLayout(perNode: 3))
        let back = String(decoding: try JSONEncoder().encode(wide), as: UTF8.self)
        #expect(try SubmitRequest.parse(json: back) == wide)
        for (field, value, message) in [
            ("ntasksPerNode", "0", "tasks per node are 1 to 256, not 0"),
            ("coresPerTask", "5000", "cores per task are 1 to 4096, not 5000"),
            ("gpusPerTask", "-1", "GPUs per task are 1 to 4096, not -1"),
            ("ntasks", "0", "tasks in all are 1 to 1048576, not 0"),
        ] {
            #expect {
                try SubmitRequest.parse(json: #"{"command": ["x"], "workdir": "/", "\#(field)": \#(value)}"#)
            } throws: { "\($0)".contains(message) && "\($0)".contains(field) }
        }
    }

    @Test func aGPUCountOnTheCommandLineReplacesTheScriptsModelWithItsCount() throws {
        let script = Self.dir + "/a100.sh"
        try "#!/bin/sh\n#SBATCH --gres=gpu:a100:4\ntrue\n".write(toFile: script, atomically: true, encoding: .utf8)
        // As sbatch --gres=gpu:4 replaces the script's --gres=gpu:a100:4: any four GPUs.
        let (any, _) = try submission(["--gres", "gpu:4", script], cwd: Self.dir)
        #expect(any.request.gpuModel == nil && any.request.gpusPerNode == 4)
        // A model of its own stays; one with the new count replaces the script's.
        let (own, _) = try submission(["--gpu-model", "H200", "--gres", "gpu:2", script], cwd: Self.dir)
        #expect(own.request.gpuModel == "H200" && own.request.gpusPerNode == 2)
        let (typed, _) = try submission(["--gpus", "h200:8", script], cwd: Self.dir)
        #expect(typed.request.gpuModel == "h200" && typed.request.gpus == 8)
        // Without a count on the command line the script's model stays.
        let (kept, _) = try submission(["-t", "10", script], cwd: Self.dir)
        #expect(kept.request.gpuModel == "a100")
    }

    @Test func gpuMemoryFlag() throws {
        let (r, _) = try submission(["--gpu-memory", "300GB", "--", "x"])
        #expect(r.request.gpuMemory == .gigabytes(300))
        #expect(r.request.gpus == nil)
    }

    @Test func badFlagValuesNameTheFlag() throws {
        #expect(throws: CLIError.self) { try submission(["--gpus", "many", "--", "x"]) }
        do {
            _ = try submission(["--time", "soon", "--", "x"])
            Issue.record("accepted a bad time")
        } catch {
            #expect("\(error)".hasPrefix("--time: not a time: 'soon'"))
        }
        do {
            _ = try submission(["--mem", "lots", "--", "x"])
            Issue.record("accepted a size that is none")
        } catch {
            #expect("\(error)".hasPrefix("--mem: not a size: 'lots'"))
        }
        // As sbatch reads it: a bare --mem is MiB.
        #expect(try submission(["--mem", "4000", "--", "x"]).0.request.memory == ByteSize(bytes: 4000 << 20))
    }

    @Test func nothingToRunAndMistakesAreUsageErrors() throws {
        for (args, start) in [
            ([String](), "nothing to run"), (["--"], "no command after --"),
            (["python", "train.py"], "no batch script 'python'; to run a program, put it after --"),
            (["--gpus", "1", "--gpuz", "2", "--", "x"], "unknown option --gpuz (schedctl submit --help lists them)"),
        ] {
            do {
                _ = try submission(args)
                Issue.record("accepted \(args)")
            } catch let e as CLIError {
                #expect(e.description.hasPrefix(start), "\(e)")
                #expect(e.status == 2)
            }
        }
    }

    @Test func flagsOverrideScriptDirectivesAndTheScriptRuns() throws {
        let path = try write(
            "train.sh",
            """
            #!/bin/bash
            #SBATCH --gres=gpu:4 --time=1:00:00 -J from-script -A etf
            #SBATCH --mail-user=ana@example.org
            #RASPORED --mem 128GiB
            python train.py "$@"
            """)
        let (r, messages) = try submission(["--gpus", "2", "--account", "ivi", path, "--lr", "0.1"], cwd: "/tmp")
        // The flag's GPU count replaces the script's --gres (not combined with it).
        #expect(r.request.gpus == 2)
        #expect(r.request.gpusPerNode == nil)
        #expect(r.request.account == "ivi")
        #expect(r.request.time == .hours(1))
        #expect(r.request.memory == .gibibytes(128))
        #expect(r.name == "from-script")
        #expect(r.command == ["/bin/bash", path, "--lr", "0.1"])
        #expect(messages == ["schedctl: warning: \(path):3: #SBATCH --mail-user is not understood here; ignored"])
    }

    @Test func aScriptAskingForAQoSIsRefusedUnlessUnknownOptionsAreIgnored() throws {
        let path = try write("qos.sh", "#!/bin/bash\n#SBATCH --gres=gpu:1\n#SBATCH --qos=high\npython train.py\n")
        let error = #expect(throws: CLIError.self) { try submission([path], cwd: "/tmp") }
        #expect(
            error.map { "\($0)" }
                == "\(path):3: #SBATCH --qos is not understood here, and it may change where or how the job runs; "
                + "remove the line, or submit with --ignore-unknown to ignore it")
        let (r, messages) = try submission(["--ignore-unknown", path], cwd: "/tmp")
        #expect(r.request.gpusPerNode == 1)
        #expect(messages == ["schedctl: warning: \(path):3: #SBATCH --qos is not understood here; ignored"])
    }

    @Test func aHeldScriptIsSubmittedHeldAndItsControlsReachTheBody() throws {
        let path = try write(
            "held.sh",
            """
            #!/bin/bash
            #SBATCH --gres=gpu:1 --hold --signal=B:USR1@120 --kill-grace=2m
            #SBATCH -e err-%j.txt --open-mode=append --nice=10
            python train.py
            """)
        let (r, messages) = try submission([path], cwd: "/tmp")
        #expect(messages.isEmpty)
        #expect(r.controls.hold == .user)
        #expect(r.controls.warning == WarningSignal(signal: 10, secondsBefore: 120, batchOnly: true))
        #expect(r.controls.killGrace == 120)
        #expect(r.controls.error == "err-%j.txt")
        #expect(r.controls.openMode == .append)
        #expect(r.controls.nice == 10)
        #expect(r.controls.submitDir == "/tmp")
    }

    @Test func aTerminalEscapeInAScriptsOptionReachesTheTerminalEscaped() throws {
        let path = try write("escape.sh", "#!/bin/bash\n#SBATCH --gres=gpu:1 --mail-type\u{1B}[2J=END\ntrue\n")
        let home = Self.dir + "/home-escape"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let env = ["HOME": home, "PATH": "/usr/bin:/bin"]
        // Refused (the option is not one known to be harmless): the error escapes it.
        let refused = try CLI.run(["submit", path], environment: env)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--mail-type\\u{1B}[2J is not understood here"))
        #expect(!refused.stderr.contains("\u{1B}"))
        // Ignored with --ignore-unknown: the warning escapes it too (then the missing token stops it).
        let ignored = try CLI.run(["submit", "--ignore-unknown", path], environment: env)
        #expect(
            ignored.stderr.contains("schedctl: warning: \(path):2: #SBATCH --mail-type\\u{1B}[2J is not understood"))
        #expect(!ignored.stderr.contains("\u{1B}"))
    }

    @Test func aScriptWithoutANameIsNamedAfterItselfAndRunsFromItsAbsolutePath() throws {
        _ = try write("eval.sh", "#RASPORED --gpus 1\necho hi\n")
        let (r, _) = try submission(["eval.sh"], cwd: Self.dir)
        #expect(r.name == "eval.sh")
        #expect(r.command == ["/bin/bash", Self.dir + "/eval.sh"])
        #expect(r.workdir == Self.dir)
    }

    @Test func scriptErrorsNameFileAndLine() throws {
        let path = try write("bad.sh", "#!/bin/bash\n#SBATCH --gres=gpu:2\n#SBATCH --time=later\n")
        do {
            _ = try submission([path])
            Issue.record("accepted a bad script")
        } catch {
            #expect("\(error)".hasPrefix("\(path):3: #SBATCH --time: not a time: 'later'"))
        }
    }

    @Test func jobFileIsTheAPIBodyWithFlagsOverIt() throws {
        let path = try write(
            "job.yaml",
            """
            gpus: 4
            time: 2h
            account: ivi
            name: from-file
            command: [python, train.py]
            """)
        let (r, _) = try submission(["--file", path], cwd: "/home/ana/exp")
        #expect(r.request == ResourceRequest(gpus: 4, account: "ivi", time: .hours(2)))
        #expect(r.command == ["python", "train.py"])
        #expect(r.name == "from-file")
        #expect(r.workdir == "/home/ana/exp")
        let (o, _) = try submission(["--file", path, "--gpus", "1", "--time", "30", "--workdir", "/w"])
        #expect(o.request == ResourceRequest(gpus: 1, account: "ivi", time: .minutes(30)))
        #expect(o.workdir == "/w")
        #expect(o.name == "from-file")
    }

    @Test func jobFileErrorsAreTheParsersWithLines() throws {
        let path = try write("typo.yaml", "gpus: 2\ngpu_model: H200\ncommand: [x]\n")
        do {
            _ = try submission(["--file", path])
            Issue.record("accepted a typo")
        } catch {
            #expect("\(error)".hasPrefix("\(path):2: gpu_model: unknown field 'gpu_model'"))
        }
        #expect(throws: CLIError.self) { try submission(["--file", path, "--", "x"]) }
    }
}
