import RasporedAPI
import Testing

@testable import Agent

/// A step's environment on a node: what srun's shell exported, with the node's own scheduler variables.
struct StepEnvironmentTests {
    @Test func srunsEnvironmentWithThisNodesSchedulerVariablesOverIt() {
        // srun runs in the batch script on dgx01, which exported FOO and chose a port.
        let client = [
            "FOO": "bar", "PATH": "/tools:/usr/bin", "MASTER_PORT": "29999", "MASTER_ADDR": "dgx01",
            "CUDA_VISIBLE_DEVICES": "0,1", "SLURMD_NODENAME": "dgx01", "SLURM_NODEID": "0",
            "RASPORED_GPUS": "0,1", "NCCL_IB_HCA": "=mlx5_0", "SLURM_MADE_UP": "client",
        ]
        // The run on dgx02 started with its own.
        let run = [
            "PATH": "/tools:/bin", "MASTER_PORT": "31234", "MASTER_ADDR": "dgx01", "CUDA_VISIBLE_DEVICES": "4,5",
            "SLURMD_NODENAME": "dgx02", "SLURM_NODEID": "1", "RASPORED_GPUS": "4,5", "NCCL_IB_HCA": "=mlx5_4",
            "RUN_ONLY": "x",
        ]
        let env = JobEnvironment.stepEnvironment(client: client, run: run)
        #expect(
            env == [
                "FOO": "bar", "PATH": "/tools:/usr/bin", "MASTER_PORT": "29999", "MASTER_ADDR": "dgx01",
                "CUDA_VISIBLE_DEVICES": "4,5", "SLURMD_NODENAME": "dgx02", "SLURM_NODEID": "1",
                "RASPORED_GPUS": "4,5", "NCCL_IB_HCA": "=mlx5_4",
            ])
    }

    @Test func whatTheClientLacksIsTheRunsAndTheToolsStayOnPath() {
        let run = [
            "PATH": "/tools:/usr/bin:/bin", "HOME": "/home/ana", "USER": "ana", "LOGNAME": "ana", "SHELL": "/bin/bash",
        ]
        // A login shell's srun with an environment of its own, its PATH without the tools.
        let login = JobEnvironment.stepEnvironment(
            client: ["PATH": "/opt/conda/bin:/usr/bin", "HOME": "/home/ana"], run: run, tools: "/tools")
        #expect(login["PATH"] == "/tools:/opt/conda/bin:/usr/bin")
        #expect(login["USER"] == "ana" && login["SHELL"] == "/bin/bash")
        // An empty environment (env -i) gets the run's PATH and account, the tools already on it.
        #expect(JobEnvironment.stepEnvironment(client: [:], run: run, tools: "/tools") == run)
    }

    @Test func aMasterOrThreadCountTheScriptChoseStaysAndTheRunsOwnIsTheSteps() {
        let order = StepOrder(
            jobId: 7, runId: "7", step: 0, nodes: ["dgx02", "dgx03"],
            request: StepRequest(command: ["x"], tasksPerNode: 2))
        let share = TaskShare(gpus: [0], cores: [[0], [1]])
        let run = ["MASTER_ADDR": "dgx01", "MASTER_PORT": "31000", "OMP_NUM_THREADS": "4"]
        // srun's environment as the run's: the step's first node, each task's cores.
        let same = StepProcess.taskVariables(order, node: "dgx03", local: 1, share: share, inherited: run, run: run)
        #expect(same["MASTER_ADDR"] == "dgx02" && same["MASTER_PORT"] == "31000" && same["OMP_NUM_THREADS"] == "2")
        #expect(same["RANK"] == "3" && same["LOCAL_RANK"] == "1" && same["WORLD_SIZE"] == "4")
        // The script exported its own: they stay.
        let chosen = ["MASTER_ADDR": "10.0.0.7", "MASTER_PORT": "29500", "OMP_NUM_THREADS": "1"]
        let kept = StepProcess.taskVariables(order, node: "dgx03", local: 1, share: share, inherited: chosen, run: run)
        #expect(kept["MASTER_ADDR"] == "10.0.0.7" && kept["MASTER_PORT"] == "29500" && kept["OMP_NUM_THREADS"] == nil)
    }
}
