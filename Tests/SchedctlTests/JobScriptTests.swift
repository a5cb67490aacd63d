import Foundation
import RasporedAPI
import Testing

@testable import SchedctlCore
@testable import Scheduler

/// `#RASPORED` and `#SBATCH` directives: every option, both spellings, precedence, where they stop.
@Suite struct JobScriptTests {
    func parse(_ text: String) throws -> JobScript { try JobScript.parse(text, file: "train.sh") }

    @Test func rasporedLinesTakeEveryOptionInBothForms() throws {
        let s = try parse(
            """
            #!/bin/bash
            #RASPORED --gpus 4 --gpu-model=H200
            #RASPORED --min-gpu-memory 100GB --cpus=28 --mem 256GiB
            #RASPORED --scratch=1TB --storage 2TB
            #RASPORED --nodes=1 --gpus-per-node 4 --exclusive --same-numa
            #RASPORED --time 4h --partition=gpu --account ivi --name 'my train' --output "out-%j.log"
            #RASPORED --workdir=/scratch/ana --no-requeue
            python train.py
            """)
        let o = s.options
        #expect(o.gpus == 4)
        #expect(o.gpuModel == "H200")
        #expect(o.minGpuMemory == ByteSize(bytes: 100_000_000_000))
        #expect(o.cpus == 28)
        #expect(o.memory == .gibibytes(256))
        #expect(o.scratch == .terabytes(1))
        #expect(o.storage == .terabytes(2))
        #expect(o.nodes == 1)
        #expect(o.gpusPerNode == 4)
        #expect(o.exclusive == true)
        #expect(o.sameNuma == true)
        #expect(o.time == .hours(4))
        #expect(o.partition == "gpu")
        #expect(o.account == "ivi")
        #expect(o.name == "my train")
        #expect(o.output == "out-%j.log")
        #expect(o.workdir == "/scratch/ana")
        #expect(o.noRequeue == true)
        #expect(s.warnings.isEmpty)
        #expect(s.notes.isEmpty)
        #expect(s.interpreter == ["/bin/bash"])
    }

    @Test func gpuMemoryIsASize() throws {
        #expect(try parse("#RASPORED --gpu-memory 300GB\n").options.gpuMemory == .gigabytes(300))
    }

    @Test func sbatchCommonOptionsLongForms() throws {
        let s = try parse(
            """
            #!/bin/bash
            #SBATCH --gres=gpu:4
            #SBATCH --nodes=2
            #SBATCH --time=1-12:00:00
            #SBATCH --mem=64G
            #SBATCH --cpus-per-task=16
            #SBATCH --job-name=bert
            #SBATCH --output=bert-%j.out
            #SBATCH --partition=gpu
            #SBATCH --account=etf
            #SBATCH --exclusive
            #SBATCH --no-requeue
            #SBATCH --chdir=/home/bo
            srun python train.py
            """)
        let o = s.options
        #expect(o.gpusPerNode == 4)
        #expect(o.gpus == nil)
        #expect(o.nodes == 2)
        #expect(o.time == TimeSpan(seconds: 86400 + 12 * 3600))
        #expect(o.memory == .gibibytes(64))
        // One task per node: its cores are the node's.
        #expect(o.cpusPerTask == 16)
        #expect(o.resourceRequest.cpus == 16)
        #expect(o.name == "bert")
        #expect(o.output == "bert-%j.out")
        #expect(o.partition == "gpu")
        #expect(o.account == "etf")
        #expect(o.exclusive == true)
        #expect(o.noRequeue == true)
        #expect(o.workdir == "/home/bo")
        // --gres counts per node, as in Slurm: 2 nodes × 4 GPUs.
        #expect(o.resourceRequest.gpus == 8)
        #expect(o.resourceRequest.gpusPerNode == 4)
        #expect(s.warnings.isEmpty)
    }

    @Test func sbatchShortFormsSeparateAndJoined() throws {
        let s = try parse(
            """
            #SBATCH -G 2 -N 1 -t 30 -c 8
            #SBATCH -J short -o log.txt -p gpu -A ipb
            """)
        let o = s.options
        #expect(o.gpus == 2)
        #expect(o.nodes == 1)
        #expect(o.time == .minutes(30))
        #expect(o.cpusPerTask == 8)
        #expect(o.resourceRequest.cpus == 8)
        #expect(o.name == "short")
        #expect(o.output == "log.txt")
        #expect(o.partition == "gpu")
        #expect(o.account == "ipb")
        let joined = try parse("#SBATCH -N2 -t10 -G=3\n").options
        #expect(joined.nodes == 2)
        #expect(joined.time == .minutes(10))
        #expect(joined.gpus == 3)
    }

    @Test func sbatchSeparateValueForms() throws {
        let o = try parse("#SBATCH --gres gpu:h200:2 --time 2:30:00 --mem 4000 --gpus-per-node 2\n").options
        #expect(o.gpuModel == "h200")
        #expect(o.gpusPerNode == 2)
        #expect(o.time == TimeSpan(seconds: 2 * 3600 + 30 * 60))
        // A bare --mem is MiB, as in Slurm.
        #expect(o.memory == ByteSize(bytes: 4000 << 20))
    }

    @Test func sbatchGPUCountsAndModels() throws {
        #expect(try parse("#SBATCH --gpus=8\n").options.gpus == 8)
        let model = try parse("#SBATCH --gpus=H200:4\n").options
        #expect(model.gpus == 4)
        #expect(model.gpuModel == "H200")
        let bare = try parse("#SBATCH --gres=gpu\n").options
        #expect(bare.gpusPerNode == 1)
        #expect(bare.resourceRequest.gpus == 1)
        let single = try parse("#SBATCH --gres=gpu:2\n").options.resourceRequest
        #expect(single.gpus == 2)
    }

    static let times: [(String, Int64)] = [
        ("90", 5400), ("05:30", 330), ("01:02:03", 3723), ("2-04", 187_200), ("1-02:03", 93_780),
        ("3-00:00:10", 259_210),
    ]

    @Test(arguments: times)
    func slurmTimeFormats(text: String, seconds: Int64) throws {
        #expect(try parse("#SBATCH --time=\(text)\n").options.time?.seconds == seconds)
        #expect(try parse("#SBATCH -t \(text)\n").options.time?.seconds == seconds)
    }

    @Test func tasksSizeTheJobAndAreItsLayout() throws {
        let s = try parse("#SBATCH --gres=gpu:1\n#SBATCH --ntasks-per-node=4 -c 2\n")
        #expect(s.options.gpusPerNode == 1)
        // Four tasks on the node, two cores each.
        #expect(s.options.resourceRequest.cpus == 8)
        #expect(s.options.controls.tasks == TaskLayout(perNode: 4, coresPerTask: 2))
        #expect(s.notes.isEmpty)
        #expect(s.warnings.isEmpty)
        // Without task options, no layout: one task per node.
        #expect(try parse("#SBATCH -N 2 -G 8\n").options.controls.tasks == nil)
        // Eight tasks of one GPU and four cores on two nodes: 8 GPUs, 16 cores per node.
        let t = try parse("#SBATCH -N 2 -n 8 --gpus-per-task=1 --cpus-per-task=4\n").options.resourceRequest
        #expect(t.gpus == 8)
        #expect(t.cpus == 16)
        // Counts too large to multiply are a problem to report, not an overflow.
        let huge = try parse("#SBATCH -N 2 --gpus-per-task=16777216 -n 16777216\n").options
        #expect(huge.problem == "too many tasks (16777216) for their GPUs or cores")
        #expect(huge.resourceRequest.gpus == nil)
        #expect(
            try parse("#SBATCH --gpus-per-task=1 --gpus=2\n").options.problem
                == "give --gpus-per-task or a GPU count (--gpus, --gpus-per-node, --gres), not both")
    }

    static let unknownOptions = """
        #!/bin/bash
        #SBATCH --mail-type=END
        #SBATCH --qos high -N 1
        #SBATCH -q normal
        #SBATCH --gres=gpu:2
        echo hi
        """

    @Test func withIgnoreUnknownSbatchOptionsWarnWithLineAndOptionAndDoNotStop() throws {
        let s = try JobScript.parse(Self.unknownOptions, file: "train.sh", ignoreUnknown: true)
        #expect(
            s.warnings == [
                "train.sh:2: #SBATCH --mail-type is not understood here; ignored",
                "train.sh:3: #SBATCH --qos is not understood here; ignored",
                "train.sh:4: #SBATCH -q is not understood here; ignored",
            ])
        // The options around them still count.
        #expect(s.options.nodes == 1)
        #expect(s.options.gpusPerNode == 2)
    }

    @Test func anUnknownSbatchOptionThatMayChangeWhereOrHowTheJobRunsIsRefusedWithItsLine() throws {
        let error = #expect(throws: JobScriptError.self) { try parse(Self.unknownOptions) }
        #expect(
            error.map { "\($0)" }
                == "train.sh:3: #SBATCH --qos is not understood here, and it may change where or how the job runs; "
                + "remove the line, or submit with --ignore-unknown to ignore it")
        for line in [
            "#SBATCH --reservation=maint", "#SBATCH --gpu-bind=closest", "#SBATCH -q high", "#SBATCH --licenses=x",
        ] {
            #expect(throws: JobScriptError.self) { try parse("#!/bin/bash\n\(line)\necho hi\n") }
        }
    }

    @Test func unknownSbatchOptionsThatCannotChangeHowTheJobRunsOnlyWarn() throws {
        let s = try parse(
            """
            #!/bin/bash
            #SBATCH --mail-type=END --mail-user=ana@example.org
            #SBATCH --comment "bert sweep" -v
            #SBATCH --gres=gpu:2
            echo hi
            """)
        #expect(
            s.warnings == [
                "train.sh:2: #SBATCH --mail-type is not understood here; ignored",
                "train.sh:2: #SBATCH --mail-user is not understood here; ignored",
                "train.sh:3: #SBATCH --comment is not understood here; ignored",
                "train.sh:3: #SBATCH -v is not understood here; ignored",
            ])
        #expect(s.options.gpusPerNode == 2)
    }

    @Test func directivesStopAtTheFirstCommandLine() throws {
        let s = try parse(
            """
            #!/bin/bash

            # a comment
            #SBATCH --gres=gpu:2
            module load cuda
            #SBATCH --gres=gpu:8
            #RASPORED --time 1h
            """)
        #expect(s.options.gpusPerNode == 2)
        #expect(s.options.time == nil)
    }

    @Test func laterDirectivesWinAndCommentsEndALine() throws {
        let s = try parse(
            """
            #SBATCH --time=10 # ten minutes
            #RASPORED --time 2h
            # SBATCH --time=99   (disabled: a space after #)
            #SBATCHED --time=77
            """)
        #expect(s.options.time == .hours(2))
        #expect(s.warnings.isEmpty)
    }

    @Test func shebangChoosesTheInterpreter() throws {
        let s = try parse("#!/usr/bin/env python3\n#RASPORED --gpus 1\nprint('hi')\n")
        #expect(s.interpreter == ["/usr/bin/env", "python3"])
        #expect(
            s.command(path: "/home/ana/t.py", arguments: ["--lr", "3"]) == [
                "/usr/bin/env", "python3", "/home/ana/t.py", "--lr", "3",
            ])
        #expect(try parse("#RASPORED --gpus 1\n").command(path: "/a/b.sh", arguments: []) == ["/bin/bash", "/a/b.sh"])
    }

    static let bad: [(String, String)] = [
        ("#!/bin/bash\n#SBATCH --time=soon\n", "train.sh:2: #SBATCH --time: not a time: 'soon'"),
        ("#SBATCH --gres=gpu:x:y:z\n", "train.sh:1: #SBATCH --gres: expected gpu:N or gpu:MODEL:N, not 'gpu:x:y:z'"),
        ("\n\n#SBATCH -N two\n", "train.sh:3: #SBATCH --nodes: expected a whole number, not 'two'"),
        ("#SBATCH -N 0\n", "train.sh:1: #SBATCH --nodes: must be at least 1, not 0"),
        ("#SBATCH --nodes=2-4\n", "train.sh:1: #SBATCH --nodes: node ranges ('2-4') are not supported; give one count"),
        ("#SBATCH --mem=lots\n", "train.sh:1: #SBATCH --mem: not a size: 'lots'"),
        ("#SBATCH --time\n", "train.sh:1: #SBATCH --time needs a value"),
        ("#RASPORED --gpu 4\n", "train.sh:1: unknown option --gpu (schedctl submit --help lists them)"),
        ("#RASPORED --gpus four\n", "train.sh:1: #RASPORED --gpus: expected a whole number, not 'four'"),
        ("#RASPORED --mem lots\n", "train.sh:1: #RASPORED --mem: not a size: 'lots'"),
        (
            "#SBATCH --ntasks-per-node=9223372036854775807\n",
            "train.sh:1: #SBATCH --ntasks-per-node: must be at most 16777216"
        ),
        ("#SBATCH --begin=someday\n", "train.sh:1: #SBATCH --begin: not a begin time: 'someday'"),
        ("#SBATCH --signal=USR9@10\n", "train.sh:1: #SBATCH --signal: unknown signal 'USR9'"),
        ("#SBATCH --open-mode=overwrite\n", "train.sh:1: #SBATCH --open-mode: expected truncate or append"),
        ("#SBATCH --kill-grace=forever\n", "train.sh:1: #SBATCH --kill-grace: expected a time such as 30s"),
        ("#RASPORED --exclusive=yes\n", "train.sh:1: #RASPORED --exclusive takes no value, not 'yes'"),
        ("#RASPORED gpus=4\n", "train.sh:1: unexpected 'gpus=4'"),
        ("#RASPORED --name 'open\n", "train.sh:1: #RASPORED: unterminated quote"),
    ]

    @Test(arguments: bad)
    func badValuesNameTheLine(text: String, message: String) throws {
        #expect {
            try parse(text)
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }
}
