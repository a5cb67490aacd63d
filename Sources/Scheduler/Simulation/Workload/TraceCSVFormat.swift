import Foundation

/// The project's trace format: one job per line of CSV, under a header naming the columns.
///
/// Columns (any order; only `id`, `submit` and `duration` are required; an empty field is unset):
///
/// | column | meaning | form |
/// |---|---|---|
/// | id | unique job id | text |
/// | submit | arrival after trace start | seconds (`3600`, `12.5`) or time text (`1h`, `1-00:00:00`) |
/// | duration | actual run time at reference speed | as submit |
/// | time_limit | the job's time limit | as submit, whole seconds; empty: the partition's default |
/// | gpus | GPUs in total | whole number |
/// | gpu_memory | GPU memory in total (instead of gpus) | size (`80GiB`, `141GB`) |
/// | gpu_model | only this GPU model | text |
/// | cpus | CPU cores per node | whole number |
/// | memory | host memory per node | size |
/// | nodes | node count | whole number ≥ 1 |
/// | user, account, partition | who and where | text |
/// | min_gpu_memory, gpus_per_node, scratch, storage, exclusive, same_numa | the rest of the engine's request | size / number / `true`/`false` |
/// | hold | how long the job held its GPUs past its run's end where it ran (launch, exit report) | as submit; empty: the simulation's setting |
///
/// Unlike `TimeSpan`'s own text, where a bare number is minutes (as Slurm reads `--time`), a bare
/// number in a trace is seconds.
public enum TraceCSV {
    /// The columns every written trace has, in the order the writer puts them.
    public static let baseColumns = [
        "id", "submit", "duration", "time_limit", "gpus", "gpu_memory", "gpu_model", "cpus", "memory", "nodes",
        "user", "account", "partition",
    ]
    /// Columns for the rest of the engine's request; the writer adds them only when some job uses them.
    public static let extraColumns = [
        "min_gpu_memory", "gpus_per_node", "scratch", "storage", "exclusive", "same_numa", "hold",
    ]
    /// The header line the writer puts on a trace whose jobs use only the base columns.
    public static let header = baseColumns.joined(separator: ",")
    static let required = ["id", "submit", "duration"]
}
