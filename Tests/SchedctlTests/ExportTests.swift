import Foundation
import RasporedAPI
import Testing

@testable import SchedctlCore

/// `schedctl submit --export` (and `#SBATCH --export`, `#RASPORED --export`, `SBATCH_EXPORT`): which of the
/// submitter's variables the job gets, and what is never taken.
@Suite struct ExportTests {
    static let env = [
        "HOME": "/home/ana", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "WANDB_PROJECT": "bert",
        "RASPORED_TOKEN": "rsp_secret", "RASPORED_CONTROLLER": "http://ctl:8420", "RASPORED_CONFIG": "/etc/r.yaml",
        "RASPORED_JOB_ID": "41", "RASPORED_ARRAY_TASK_ID": "3", "SLURM_JOB_ID": "9001",
        "SLURM_ARRAY_TASK_ID": "3", "BASH_FUNC_module%%": "() {  eval $(/usr/bin/modulecmd bash $*)\n}",
    ]

    static let dir: String = {
        let d = Scratch.root.appendingPathComponent("schedctl-export-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()

    func write(_ name: String, _ text: String) throws -> String {
        let path = Self.dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func submit(_ args: [String], env: [String: String] = Self.env) throws -> (SubmitRequest, [String]) {
        try SubmitCommand.parse(args).submission(cwd: "/home/ana", environment: env)
    }

    @Test func allIsTheDefaultAndDropsTheTokenAndJobVariables() throws {
        let (r, messages) = try submit(["--gpus", "1", "--", "python", "train.py"])
        #expect(messages.isEmpty)
        #expect(
            r.environment == [
                "HOME": "/home/ana", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "WANDB_PROJECT": "bert",
                "RASPORED_CONTROLLER": "http://ctl:8420", "RASPORED_CONFIG": "/etc/r.yaml",
                "BASH_FUNC_module%%": "() {  eval $(/usr/bin/modulecmd bash $*)\n}",
            ])
        // And on the wire: the body the controller reads back.
        let body = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
        #expect(!body.contains("rsp_secret"))
        #expect(try SubmitRequest.parse(json: body).environment == r.environment)
    }

    @Test func noneExportsNothing() throws {
        let (r, _) = try submit(["--export", "NONE", "--", "true"])
        #expect(r.environment.isEmpty)
        #expect(!String(decoding: try JSONEncoder().encode(r), as: UTF8.self).contains("environment"))
    }

    @Test func aListExportsOnlyItsVariables() throws {
        let (r, messages) = try submit(["--export=LANG,MODE=fast,EMPTY=,SLURM_JOB_ID,UNSET_ONE", "--", "true"])
        #expect(r.environment == ["LANG": "C.UTF-8", "MODE": "fast", "EMPTY": "", "SLURM_JOB_ID": "9001"])
        #expect(messages == ["schedctl: warning: --export: UNSET_ONE is not set here; not exported"])
    }

    @Test func allWithValuesAddsToEverythingAndAValueGivenWins() throws {
        let (r, _) = try submit(["--export", "ALL,LANG=en_US.UTF-8,EXTRA=1", "--", "true"])
        #expect(r.environment["LANG"] == "en_US.UTF-8")
        #expect(r.environment["EXTRA"] == "1")
        #expect(r.environment["PATH"] == "/usr/bin:/bin")
        #expect(r.environment["RASPORED_TOKEN"] == nil)
        #expect(r.environment["SLURM_JOB_ID"] == nil)
    }

    @Test func theTokenIsRefusedEvenWhenNamed() throws {
        for spec in ["RASPORED_TOKEN", "ALL,RASPORED_TOKEN=rsp_x"] {
            let e = #expect(throws: CLIError.self) { try submit(["--export", spec, "--", "true"]) }
            #expect(
                e?.description == "--export: RASPORED_TOKEN is a client secret; it is never passed into a job",
                "\(spec)")
        }
    }

    @Test func badListsAreRefusedWithTheReason() throws {
        let cases = [
            "NONE,FOO=1": "--export: NONE exports nothing; it cannot be combined with ALL or variables ('NONE,FOO=1')",
            "FOO,,BAR":
                "--export: an empty item in 'FOO,,BAR'; expected ALL, NONE, or a list VAR,VAR=value (ALL,VAR=value adds to everything)",
            "=x": "--export: a variable's name must not be empty",
        ]
        for (spec, message) in cases {
            let e = #expect(throws: CLIError.self) { try submit(["--export", spec, "--", "true"]) }
            #expect(e?.description == message, "\(spec)")
        }
    }

    @Test func sbatchAndRasporedDirectivesAndSBATCH_EXPORTRankAsInSlurm() throws {
        let script = try write(
            "exp.sh",
            """
            #!/bin/bash
            #SBATCH --export=NONE
            #SBATCH -J exp
            echo hi
            """)
        // The directive alone.
        #expect(try submit([script]).0.environment.isEmpty)
        // SBATCH_EXPORT (the environment) over the directive.
        var env = Self.env
        env["SBATCH_EXPORT"] = "WANDB_PROJECT"
        #expect(try submit([script], env: env).0.environment == ["WANDB_PROJECT": "bert"])
        // The flag over both.
        #expect(try submit(["--export", "LANG", script], env: env).0.environment == ["LANG": "C.UTF-8"])

        let quoted = try write(
            "exp2.sh",
            """
            #!/bin/bash
            #RASPORED --export "ALL,GREETING=hello world"
            true
            """)
        let r = try submit([quoted]).0
        #expect(r.environment["GREETING"] == "hello world")
        #expect(r.environment["HOME"] == "/home/ana")

        let bad = try write("exp3.sh", "#!/bin/bash\n#SBATCH --export=NONE,X=1\ntrue\n")
        let e = #expect(throws: CLIError.self) { try submit([bad]) }
        #expect(
            e?.description
                == "\(bad):2: #SBATCH --export: NONE exports nothing; it cannot be combined with ALL or variables "
                + "('NONE,X=1')")

        env["SBATCH_EXPORT"] = "NONE,ALL"
        let e2 = #expect(throws: CLIError.self) { try submit(["--", "true"], env: env) }
        #expect(e2?.description.hasPrefix("SBATCH_EXPORT='NONE,ALL': NONE exports nothing") == true)
    }

    @Test func aJobFilesEnvironmentWinsOverWhatWasCaptured() throws {
        let file = try write(
            "job.yaml",
            """
            command: [python, train.py]
            environment:
              LANG: de_DE.UTF-8
              ONLY_IN_FILE: "1"
            """)
        let (r, _) = try submit(["--file", file])
        #expect(r.environment["LANG"] == "de_DE.UTF-8")
        #expect(r.environment["ONLY_IN_FILE"] == "1")
        #expect(r.environment["PATH"] == "/usr/bin:/bin")
        #expect(r.environment["RASPORED_TOKEN"] == nil)
        let (none, _) = try submit(["--file", file, "--export", "NONE"])
        #expect(none.environment == ["LANG": "de_DE.UTF-8", "ONLY_IN_FILE": "1"])
    }

    @Test func variablesTheJobCannotTakeAreLeftOutWithAWarning() throws {
        var env = Self.env
        env["HUGE"] = String(repeating: "x", count: JobEnvironmentRules.maxVariableBytes)
        let (r, messages) = try submit(["--", "true"], env: env)
        #expect(r.environment["HUGE"] == nil)
        #expect(
            messages == [
                "schedctl: warning: --export: HUGE is \(JobEnvironmentRules.maxVariableBytes + 5) bytes long "
                    + "(NAME=value); at most \(JobEnvironmentRules.maxVariableBytes) fit in a job's environment; "
                    + "not exported"
            ])
        // Too much in all is an error, not a silent cut.
        var big = Self.env
        for i in 0..<5 { big["BIG\(i)"] = String(repeating: "y", count: 120_000) }
        let e = #expect(throws: CLIError.self) { try submit(["--", "true"], env: big) }
        #expect(e?.description.hasPrefix("--export=ALL: the environment to export is too big: ") == true)
    }
}
