import Foundation
import RasporedAPI
import Testing

@testable import SchedctlCore
@testable import Scheduler

/// Real, public Slurm batch scripts for GPU training (Tests/Fixtures/slurm-scripts, with their provenance and
/// licenses), read unchanged as `schedctl submit SCRIPT` reads them. The expected requests are worked out by
/// hand from Slurm's documentation of each option (per-node `--gres`, `--cpus-per-task` times the tasks on a
/// node, `--mem` in MiB when bare), not from this code.
@Suite struct SlurmScriptFixtureTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/slurm-scripts")

    func submission(_ name: String) throws -> (SubmitRequest, [String]) {
        let path = Self.dir.appendingPathComponent(name).path
        return try SubmitCommand.parse([path]).submission(cwd: "/home/ana", environment: [:])
    }

    @Test func princetonsSingleGPUJob() throws {
        let (s, messages) = try submission("single-gpu.sbatch")
        let r = s.request
        #expect(s.name == "mnist")
        #expect(r.nodes == 1)
        // --gres=gpu:1 on one node; --ntasks=1 × --cpus-per-task=1.
        #expect(r.gpus == 1)
        #expect(r.gpusPerNode == 1)
        #expect(r.cpus == 1)
        #expect(r.memory == .gibibytes(8))
        #expect(r.time == .minutes(5))
        // --mail-type twice: warned about, line by line.
        #expect(messages.count == 2)
        #expect(messages.allSatisfy { $0.contains("#SBATCH --mail-type is not understood here; ignored") })
        #expect(s.command.last?.hasSuffix("single-gpu.sbatch") == true)
    }

    @Test func princetonsDDPOverSrunOnTwoNodes() throws {
        let (s, messages) = try submission("ddp-srun-multinode.sbatch")
        let r = s.request
        #expect(s.name == "ddp-torch")
        #expect(r.nodes == 2)
        // --gres=gpu:2 is per node: 4 GPUs on 2 nodes; 2 tasks per node × 8 cores each.
        #expect(r.gpusPerNode == 2)
        #expect(r.gpus == 4)
        #expect(r.cpus == 16)
        #expect(r.memory == .gibibytes(32))
        #expect(r.time == .minutes(5))
        // srun in the script starts two tasks on each node, eight cores each.
        #expect(s.controls.tasks == TaskLayout(perNode: 2, coresPerTask: 8))
        #expect(messages.count == 2)
        #expect(messages.allSatisfy { $0.contains("--mail-type is not understood here; ignored") })
    }

    @Test func princetonsTorchrunOnOneNodeWithAFeature() throws {
        let (s, messages) = try submission("ddp-torchrun-singlenode.sbatch")
        let r = s.request
        #expect(s.name == "chess_finetune")
        // %n (the node's rank in the job) is Slurm's too: the agent expands it.
        #expect(s.output == "%x-%j_%n.out")
        #expect(r.nodes == 1)
        #expect(r.gpusPerNode == 4)
        #expect(r.gpus == 4)
        #expect(r.cpus == 4)
        #expect(r.memory == .gibibytes(256))
        #expect(r.time == .hours(1))
        #expect(r.constraint == "gpu80")
        #expect(messages.isEmpty)
    }

    @Test func pytorchExamplesTorchrunOnFourNodes() throws {
        let (s, messages) = try submission("ddp-torchrun-multinode.sbatch")
        let r = s.request
        #expect(s.name == "multinode-example")
        #expect(r.nodes == 4)
        // 4 tasks × 1 GPU each; one task per node × 4 cores.
        #expect(r.gpus == 4)
        #expect(r.cpus == 4)
        #expect(r.time == nil)
        #expect(s.controls.tasks == TaskLayout(perNode: 1, coresPerTask: 4, gpusPerTask: 1))
        #expect(messages.isEmpty)
    }

    @Test func algoperfsArraySweepAsksForA100s() throws {
        let (s, _) = try submission("array-sweep-torchrun.sbatch")
        let r = s.request
        #expect(s.array == (try ArraySpec(parsing: "1-5")))
        #expect(r.gpuModel == "a100")
        #expect(r.gpusPerNode == 4)
        #expect(r.cpus == 48)
        // A bare --mem is MiB.
        #expect(r.memory == ByteSize(bytes: 500_000 << 20))
        #expect(r.time == .hours(24))
        #expect(s.noRequeue == false)
        #expect(s.output == "/ptmp/najroldi/logs/algoperf/out/%x_%A_%a.out")
        #expect(s.controls.error == "/ptmp/najroldi/logs/algoperf/err/%x_%A_%a.err")
    }

    @Test func awsNCCLTestsOnTwoWholeNodes() throws {
        let (s, messages) = try submission("nccl-tests-multinode.sbatch")
        let r = s.request
        #expect(s.name == "nccl-all_reduce_perf")
        #expect(r.nodes == 2)
        #expect(r.exclusive)
        // The ###SBATCH line is a comment: no GPU count.
        #expect(r.gpusPerNode == nil)
        #expect(s.output == "%x_%j.out")
        #expect(s.controls.error == "%x_%j.err")
        #expect(messages.contains { $0.contains("#SBATCH --wait-all-nodes is not understood here; ignored") })
        #expect(messages.contains { $0.contains("#SBATCH --ntasks-per-core is not understood here; ignored") })
    }
}
