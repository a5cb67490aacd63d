import Foundation
import RasporedAPI
import Scheduler
import Testing

/// The real, public Slurm batch scripts of Tests/Fixtures/slurm-scripts, submitted unchanged with `schedctl
/// submit` to a real controller and four agents. What no machine here has (Python with PyTorch, Princeton's
/// `module` and `conda`, their `get_free_port`) stands in as small programs on the submitter's PATH that
/// print what they were started with; everything the scheduler does is real: the `#SBATCH` lines, the
/// batch step, `srun` with the job's tasks, `scontrol show hostnames`, the variables, arrays, output files.
/// Where a script names what this platform lacks (a constraint `gpu80`, A100s, /ptmp paths), command-line
/// options override it, as they would under sbatch. What each script should print is worked out from
/// Slurm's documentation of its options, not from this code.
@Suite(.serialized) struct SlurmScriptClusterTests {
    static let fixtures = LocalCluster.root.appendingPathComponent("Tests/Fixtures/slurm-scripts").path

    /// Stand-ins for site software, each printing its arguments and the variables a program would read.
    static let standIns: [String: String] = [
        "module": "exit 0",
        "conda": "exit 0",
        "get_free_port": "echo 29512",
        "kernprof": #"echo "KERNPROF $* node=$SLURMD_NODENAME gpus=$CUDA_VISIBLE_DEVICES""#,
        "python": #"""
        echo "PYTHON $* rank=$SLURM_PROCID local=$SLURM_LOCALID ntasks=$SLURM_NTASKS world=$WORLD_SIZE \
        node=$SLURMD_NODENAME master=$MASTER_ADDR:$MASTER_PORT gpus=$CUDA_VISIBLE_DEVICES"
        """#,
        "torchrun": #"""
        echo "TORCHRUN $* procid=$SLURM_PROCID node=$SLURMD_NODENAME gpus=$CUDA_VISIBLE_DEVICES \
        omp=$OMP_NUM_THREADS loglevel=$LOGLEVEL array=$SLURM_ARRAY_TASK_ID"
        """#,
    ]

    struct Setup {
        var cluster: LocalCluster
        var environment: [String: String]
        var work: String
    }

    /// A four-node cluster, the stand-ins in `site/`, a home whose login files put them on PATH (as a site's
    /// profile does for `bash -l`), and the scripts copied into the cluster's directory.
    func setUp() async throws -> Setup {
        let c = LocalCluster()
        try await c.start(nodes: ["dgx01", "dgx02", "dgx03", "dgx04"])
        let ana: TokenView = try await c.post("/v1/tokens", TokenRequest(user: "ana"), token: c.adminToken)
        let fm = FileManager.default
        let site = c.dir + "/site", home = c.dir + "/home", scripts = c.dir + "/scripts"
        for dir in [site, home, scripts] { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        for (name, body) in Self.standIns {
            try ("#!/bin/sh\n" + body + "\n").write(toFile: site + "/" + name, atomically: true, encoding: .utf8)
            try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: site + "/" + name)
        }
        let tools = URL(fileURLWithPath: try LocalCluster.binary("srun")).deletingLastPathComponent().path
        let profile = "export PATH=\(site):\(tools):$PATH\n"
        for file in [".bash_profile", ".bashrc"] {
            try profile.write(toFile: home + "/" + file, atomically: true, encoding: .utf8)
        }
        for name in try fm.contentsOfDirectory(atPath: Self.fixtures) where name.hasSuffix(".sbatch") {
            try fm.copyItem(atPath: Self.fixtures + "/" + name, toPath: scripts + "/" + name)
        }
        let environment = [
            "PATH": site + ":/usr/bin:/bin", "HOME": home, "RASPORED_CONTROLLER": c.base, "RASPORED_TOKEN": ana.secret,
        ]
        return Setup(cluster: c, environment: environment, work: c.dir + "/work")
    }

    /// Submits `script` unchanged with `options` in front; its job id.
    func submit(_ s: Setup, _ script: String, _ options: [String] = []) throws -> Int64 {
        let r = try s.cluster.tool(
            "schedctl",
            ["submit", "--parsable", "-A", "ivi", "-D", s.work] + options + [s.cluster.dir + "/scripts/" + script],
            environment: s.environment)
        guard r.status == 0, let id = Int64(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ClusterError("schedctl submit \(script) failed: \(r.stderr)")
        }
        return id
    }

    func lines(_ text: String, _ prefix: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) }
    }

    /// The value of `key=` in a stand-in's line.
    func field(_ line: String, _ key: String) -> String? {
        line.split(separator: " ").first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }

    @Test func princetonsScriptsRunOnOneNodeAndOverSrunOnTwo() async throws {
        let s = try await setUp()
        defer { s.cluster.stopNow() }
        let c = s.cluster
        let single = try submit(s, "single-gpu.sbatch")
        let ddp = try submit(s, "ddp-srun-multinode.sbatch")
        // Its constraint gpu80 names Princeton's A100s; here the nodes are h200.
        let torchrun = try submit(s, "ddp-torchrun-singlenode.sbatch", ["-C", "h200"])

        // One GPU, one task of one core: the script's own lines, and kernprof on that GPU.
        let one = try await c.waitForJob(single, in: [.completed])
        let oneOut = try await c.output(single)
        #expect(oneOut.contains("Running on host"), "\(oneOut)")
        for line in ["SLURM_JOB_NAME=mnist", "SLURM_NTASKS=1", "SLURM_CPUS_PER_TASK=1", "SLURM_JOB_ID=\(single)"] {
            #expect(oneOut.contains(line + "\n"), "\(line): \(oneOut)")
        }
        let gpu = try #require(one.allocation?.nodes.first?.gpus.first)
        #expect(
            lines(oneOut, "KERNPROF") == [
                "KERNPROF -o \(single).lprof -l mnist_classify.py --epochs=3 "
                    + "node=\(one.allocation!.nodes[0].node) gpus=\(gpu)"
            ], "\(oneOut)")

        // Two nodes × two tasks: WORLD_SIZE from Slurm's variables, the master from scontrol, and srun's four
        // tasks ranked node by node, each seeing its node's two GPUs, meeting at the port the script chose.
        let two = try await c.waitForJob(ddp, in: [.completed], timeout: 90)
        let twoOut = try await c.output(ddp)
        let nodes = try #require(two.allocation?.nodes)
        #expect(nodes.count == 2)
        #expect(twoOut.contains("WORLD_SIZE=4\n") && twoOut.contains("MASTER_ADDR=\(nodes[0].node)\n"), "\(twoOut)")
        let tasks = lines(twoOut, "PYTHON mnist_classify_ddp.py --epochs=2 ")
        #expect(tasks.count == 4, "\(twoOut)")
        for line in tasks {
            let rank = try #require(field(line, "rank").flatMap { Int($0) })
            let node = nodes[rank / 2]
            #expect(field(line, "local") == String(rank % 2), "\(line)")
            #expect(field(line, "ntasks") == "4" && field(line, "world") == "4", "\(line)")
            #expect(field(line, "node") == node.node, "\(line)")
            #expect(field(line, "master") == "\(nodes[0].node):29512", "\(line)")
            #expect(field(line, "gpus") == node.gpus.map(String.init).joined(separator: ","), "\(line)")
        }
        #expect(Set(tasks.compactMap { field($0, "rank") }) == ["0", "1", "2", "3"], "\(twoOut)")

        // A login shell (bash -l) on one node of four GPUs: jq counts CUDA_VISIBLE_DEVICES, the accumulation
        // steps are 64 / 1 / 4, and the output file is named %x-%j_%n (the node's rank).
        _ = try await c.waitForJob(torchrun, in: [.completed], timeout: 90)
        let four = try String(contentsOfFile: s.work + "/chess_finetune-\(torchrun)_0.out", encoding: .utf8)
        let run = lines(four, "TORCHRUN ")
        #expect(run.count == 1, "\(four)")
        #expect(
            run.first?.hasPrefix(
                "TORCHRUN --nnodes=1 --nproc-per-node=4 chess_finetune.py --batch_size_per_device 1 "
                    + "--gradient_accumulation_steps 16 ") == true, "\(four)")
    }

    @Test func pytorchsFourNodeTorchrunAndAnArraySweepAndAContainerScriptRefused() async throws {
        let s = try await setUp()
        defer { s.cluster.stopNow() }
        let c = s.cluster
        let multi = try submit(s, "ddp-torchrun-multinode.sbatch")
        // MLCommons asks for A100s and writes under /ptmp; here the GPUs are H200 and the files go to work/.
        let sweep = try submit(
            s, "array-sweep-torchrun.sbatch",
            ["--gres", "gpu:4", "-o", s.work + "/%x_%A_%a.out", "-e", s.work + "/%x_%A_%a.err"])
        let nccl = try submit(s, "nccl-tests-multinode.sbatch")

        // Four nodes, one task of one GPU each: the head node's address from a one-task srun on it, then
        // torchrun once on every node, each with its own GPU, LOGLEVEL as the script exported it.
        let job = try await c.waitForJob(multi, in: [.completed], timeout: 90)
        let out = try await c.output(multi)
        let nodes = try #require(job.allocation?.nodes)
        let ip = try #require(lines(out, "Node IP: ").first?.dropFirst("Node IP: ".count), "\(out)")
        #expect(!ip.isEmpty, "\(out)")
        let runs = lines(out, "TORCHRUN --nnodes 4 --nproc_per_node 1 --rdzv_id ")
        #expect(runs.count == 4, "\(out)")
        for line in runs {
            let procid = try #require(field(line, "procid").flatMap { Int($0) })
            #expect(field(line, "node") == nodes[procid].node, "\(line)")
            #expect(field(line, "gpus").map { $0.split(separator: ",").count } == 1, "\(line)")
            #expect(nodes[procid].gpus.map(String.init).contains(field(line, "gpus") ?? "-"), "\(line)")
            #expect(field(line, "loglevel") == "INFO", "\(line)")
            #expect(line.contains("--rdzv_backend c10d --rdzv_endpoint \(ip):29500 /shared/examples/"), "\(line)")
        }

        // Five array tasks, each its own trial of five, OMP_NUM_THREADS from --cpus-per-task, one output
        // file per task named by %x_%A_%a.
        for task in 0..<5 {
            _ = try await c.waitForJob(sweep + Int64(task), in: [.completed], timeout: 90)
        }
        var trials: Set<String> = []
        for a in 1...5 {
            let text = try String(contentsOfFile: s.work + "/resnet_tar_set_\(sweep)_\(a).out", encoding: .utf8)
            let line = try #require(lines(text, "TORCHRUN ").first, "\(text)")
            #expect(line.contains("--num_tuning_trials=5 --trial_index=\(a) "), "\(line)")
            #expect(field(line, "omp") == "48" && field(line, "array") == String(a), "\(line)")
            trials.insert(String(a))
        }
        #expect(trials.count == 5)

        // AWS's NCCL test runs in a pyxis container (srun --container-image): refused by name, in the
        // script's own error file, and the job fails with srun's status.
        let ended = try await c.waitForJob(nccl, in: [.failed], timeout: 90)
        #expect(ended.exitCode == 2)
        let err = try String(contentsOfFile: s.work + "/nccl-all_reduce_perf_\(nccl).err", encoding: .utf8)
        #expect(err.contains("unknown option --container-image"), "\(err)")
    }
}
