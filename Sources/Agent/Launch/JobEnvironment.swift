import RasporedAPI
import Scheduler

/// The environment variables a job gets on top of its base environment.
public enum JobEnvironment {
    /// The variables for `request` on `host`. The GPUs are named as their vendor's runtime reads them
    /// (`GPUVendor.visibleDevices`: CUDA's indices in PCI bus order, ROCm's UUIDs); NCCL_IB_HCA uses '=' so
    /// "mlx5_1" does not also select mlx5_10..19 (NCCL matches prefixes otherwise); multi-node jobs also get
    /// torchrun's PET_* variables, so `torchrun` needs no rendezvous arguments.
    public static func variables(for request: LaunchRequest, host: String) -> [String: String] {
        var env = request.gpuVendor.visibleDevices(request.gpus, uuids: request.gpuUUIDs)
        let gpuList = request.gpus.map(String.init).joined(separator: ",")
        env["RASPORED_JOB_ID"] = request.visibleJobId
        env["RASPORED_RUN_ID"] = request.jobId
        env["RASPORED_JOB_NAME"] = request.name
        let nodes = request.nodeList.isEmpty ? [host] : request.nodeList
        env["RASPORED_NODELIST"] = nodes.joined(separator: ",")
        env["RASPORED_GPUS"] = gpuList
        if !request.cpus.isEmpty {
            env["RASPORED_CPUS"] = request.cpus.map(String.init).joined(separator: ",")
            env["OMP_NUM_THREADS"] = String(request.coreCount ?? request.cpus.count)
        }
        // "unbound" on a stand-in node (`--bind none`): the allocation is exported, not enforced.
        if !request.cpus.isEmpty || !request.mems.isEmpty {
            env["RASPORED_BINDING"] = request.bind ? "bound" : "unbound"
        }
        if !request.mems.isEmpty { env["RASPORED_MEMS"] = request.mems.map(String.init).joined(separator: ",") }
        if !request.nics.isEmpty { env["NCCL_IB_HCA"] = "=" + request.nics.joined(separator: ",") }
        if let a = request.array {
            for (k, v) in arrayVariables(a) { env[k] = v }
        }
        for (k, v) in slurmVariables(for: request, host: host, nodes: nodes) { env[k] = v }
        if nodes.count > 1 {
            let rank = String(request.nodeRank)
            let count = String(nodes.count)
            let addr = request.masterAddress ?? nodes[0]
            let port = String(request.masterPort ?? defaultMasterPort(jobId: request.jobId))
            env["RASPORED_NODE_RANK"] = rank
            env["RASPORED_NNODES"] = count
            env["NODE_RANK"] = rank
            env["NNODES"] = count
            env["MASTER_ADDR"] = addr
            env["MASTER_PORT"] = port
            env["PET_NODE_RANK"] = rank
            env["PET_NNODES"] = count
            env["PET_MASTER_ADDR"] = addr
            env["PET_MASTER_PORT"] = port
        }
        return env
    }

    /// A step's environment on this node: the one `srun` ran in (`client`: what the script exported before
    /// it, as Slurm's tasks get it), with the scheduler's variables of this node's run (`run`, its process's
    /// environment) over it: every `RASPORED_*`, `SLURM_*` and `SLURMD_*` name, and the node's devices and
    /// rank (`nodeVariables`), since srun's are its own node's. `MASTER_ADDR` and `MASTER_PORT` stay the
    /// client's: a script may choose them. What a process needs and the client may lack (`PATH`, the account's
    /// `HOME`, `USER`, `LOGNAME`, `SHELL`) is the run's, and `tools` (the directory of `srun` and `scontrol`)
    /// is first on `PATH`, as in the job's own environment (`StepTools`), so a shell in the step finds them.
    public static func stepEnvironment(
        client: [String: String], run: [String: String], tools: String? = nil
    ) -> [String: String] {
        var environment = client.filter { !isNodeVariable($0.key) }
        for (name, value) in run where isNodeVariable(name) { environment[name] = value }
        for name in ["PATH", "HOME", "USER", "LOGNAME", "SHELL"] where environment[name] == nil {
            environment[name] = run[name]
        }
        if let tools, let path = environment["PATH"] { environment["PATH"] = StepTools.path(tools, over: path) }
        return environment
    }

    /// The variables besides `RASPORED_*` and `SLURM_*` that say which node a process runs on and what it
    /// holds there.
    public static let nodeVariables: Set<String> = GPUVendor.visibleDeviceVariables.union([
        "NCCL_IB_HCA", "NODE_RANK", "NNODES", "PET_NODE_RANK", "PET_NNODES", "PET_MASTER_ADDR", "PET_MASTER_PORT",
    ])

    static func isNodeVariable(_ name: String) -> Bool {
        name.hasPrefix("RASPORED_") || name.hasPrefix("SLURM_") || name.hasPrefix("SLURMD_")
            || nodeVariables.contains(name)
    }

    /// Slurm's names for the job, as a batch script under sbatch sees them: the job (id, name, nodes) and
    /// its tasks, `tasks.tasksPerNode(nodes:)` on each node (one without a layout); the process on this node is its first
    /// task. A layout is also exported as `RASPORED_TASKS_PER_NODE`, `RASPORED_CORES_PER_TASK` and
    /// `RASPORED_GPUS_PER_TASK`, which `srun` in the job takes as its defaults. (`SLURM_JOB_ACCOUNT`,
    /// `SLURM_JOB_PARTITION`, `SLURM_JOB_USER`, `SLURM_SUBMIT_DIR` come from the controller, with the job's
    /// environment.)
    public static func slurmVariables(for request: LaunchRequest, host: String, nodes: [String]) -> [String: String] {
        let nodeList = HostList.compact(nodes)
        let count = String(nodes.count)
        let perNode = request.tasks?.tasksPerNode(nodes: nodes.count) ?? 1
        let tasks = String(request.tasks?.tasks(nodes: nodes.count) ?? nodes.count)
        var env = [
            "SLURM_JOB_ID": request.visibleJobId, "SLURM_JOBID": request.visibleJobId,
            "SLURM_JOB_NAME": request.name, "SLURM_JOB_NODELIST": nodeList, "SLURM_NODELIST": nodeList,
            "SLURM_JOB_NUM_NODES": count, "SLURM_NNODES": count, "SLURM_NODEID": String(request.nodeRank),
            "SLURMD_NODENAME": host, "SLURM_NTASKS": tasks, "SLURM_NPROCS": tasks,
            "SLURM_PROCID": String(request.nodeRank * perNode), "SLURM_LOCALID": "0",
            "SLURM_NTASKS_PER_NODE": String(perNode),
            "SLURM_TASKS_PER_NODE": nodes.count > 1 ? "\(perNode)(x\(count))" : String(perNode),
            "SLURM_GPUS_ON_NODE": String(request.gpus.count),
        ]
        if !request.gpus.isEmpty { env["SLURM_JOB_GPUS"] = request.gpus.map(String.init).joined(separator: ",") }
        if !request.cpus.isEmpty {
            let cpus = String(request.cpus.count)
            env["SLURM_CPUS_ON_NODE"] = cpus
            env["SLURM_CPUS_PER_TASK"] = cpus
            env["SLURM_JOB_CPUS_PER_NODE"] = nodes.count > 1 ? "\(cpus)(x\(count))" : cpus
        }
        if let layout = request.tasks {
            for (k, v) in layout.stepDefaults(nodes: nodes.count) { env[k] = v }
            let share = (request.coreCount ?? request.cpus.count) / perNode
            if perNode > 1, share > 0 { env["SLURM_CPUS_PER_TASK"] = String(share) }
            if let c = layout.coresPerTask { env["SLURM_CPUS_PER_TASK"] = String(c) }
            if let g = layout.gpusPerTask { env["SLURM_GPUS_PER_TASK"] = String(g) }
        }
        if let bytes = request.memoryLimitBytes { env["SLURM_MEM_PER_NODE"] = String(bytes >> 20) }
        return env
    }

    /// The login variables of the job's account, where the job's environment does not have them already (an
    /// `--export=NONE` job has none): HOME, USER, LOGNAME and SHELL from its passwd entry.
    public static func addAccountDefaults(_ env: inout [String: String], _ account: UnixAccount) {
        env["HOME"] = env["HOME"] ?? account.home
        env["USER"] = env["USER"] ?? account.name
        env["LOGNAME"] = env["LOGNAME"] ?? account.name
        env["SHELL"] = env["SHELL"] ?? account.shell
    }

    /// The PATH of a job whose environment has none.
    public static let defaultPath = "/usr/local/bin:/usr/bin:/bin"

    /// A job array task's variables, Raspored's and Slurm's names: the array's id, the task's index, and the
    /// array's lowest and highest index, task count and step.
    public static func arrayVariables(_ a: ArrayTask) -> [String: String] {
        [
            "RASPORED_ARRAY_JOB_ID": String(a.arrayJobId), "RASPORED_ARRAY_TASK_ID": String(a.taskId),
            "RASPORED_ARRAY_TASK_MIN": String(a.minTask), "RASPORED_ARRAY_TASK_MAX": String(a.maxTask),
            "RASPORED_ARRAY_TASK_COUNT": String(a.taskCount), "RASPORED_ARRAY_TASK_STEP": String(a.step),
            "SLURM_ARRAY_JOB_ID": String(a.arrayJobId), "SLURM_ARRAY_TASK_ID": String(a.taskId),
            "SLURM_ARRAY_TASK_MIN": String(a.minTask), "SLURM_ARRAY_TASK_MAX": String(a.maxTask),
            "SLURM_ARRAY_TASK_COUNT": String(a.taskCount), "SLURM_ARRAY_TASK_STEP": String(a.step),
        ]
    }

    /// A port in 29500..<39500 that every node of the job computes alike from the job id (FNV-1a).
    public static func defaultMasterPort(jobId: String) -> Int {
        var h: UInt32 = 2_166_136_261
        for b in jobId.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return 29_500 + Int(h % 10_000)
    }

    /// Expands an output path template: %j job id, %x name, %N host, %n this node's rank in the job, %%
    /// percent; as in Slurm, %A the array's id (the job id for a job not in an array) and %a the task index
    /// (nothing for a job not in an array).
    public static func expand(
        _ template: String, jobId: String, name: String, host: String, array: ArrayTask? = nil, nodeRank: Int = 0
    ) -> String {
        var out = ""
        var it = template.makeIterator()
        while let c = it.next() {
            guard c == "%" else {
                out.append(c)
                continue
            }
            switch it.next() {
            case "j": out += jobId
            case "x": out += name
            case "N": out += host
            case "n": out += String(nodeRank)
            case "A": out += array.map { String($0.arrayJobId) } ?? jobId
            case "a": out += array.map { String($0.taskId) } ?? ""
            case "%": out += "%"
            case let other?: out += "%" + String(other)
            case nil: out += "%"
            }
        }
        return out
    }
}
