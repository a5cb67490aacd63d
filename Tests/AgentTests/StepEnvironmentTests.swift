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
}
