import Foundation

/// Reads an Alibaba "openb" v2023 pod list (`openb_pod_list_*.csv` of alibaba/clusterdata
/// cluster-trace-gpu-v2023, the FGD paper's trace): one Kubernetes pod per row.
///
/// Mapping, per pod:
/// - `id`: `name`; `submit`: `creation_time` (already seconds after trace start);
/// - `duration`: `deletion_time − scheduled_time` (the time the pod held its resources; pods still
///   Running at the end of the trace end there, so their run times are cut short);
/// - `gpus`: `num_gpu` when `gpu_milli` is 1000 (whole GPUs) or `num_gpu` is 0 (CPU-only pod);
/// - `cpus`: `cpu_milli` / 1000 rounded up (a Kubernetes vCPU taken as one core); unset when 0;
/// - `memory`: `memory_mib` MiB; unset when 0;
/// - `gpu_model`: `gpu_spec` when it names one model (the trace's own codes: G2, T4, V100M16, ...);
/// - not in the trace, left unset: time limit (the partition's default applies), user, account, partition, nodes.
///
/// Not replayable, counted by reason in this order (a pod is counted once, under the first that applies):
/// a fraction of a GPU (`gpu_milli` < 1000), never scheduled (no `scheduled_time`, so no run time),
/// a `gpu_spec` naming alternatives ("V100M16|V100M32").
public enum AlibabaOpenbTrace {
    public static let fractionalGPU = "fractional GPU (GPU sharing not supported)"
    public static let neverScheduled = "never scheduled (no scheduled_time, so no run time)"
    public static let modelAlternatives = "GPU model alternatives (a request names one model)"

    public static func read(path: String) throws(ConfigError) -> Workload {
        let (text, name) = try Workload.readTrace(path: path)
        return try parse(text, file: name)
    }

    public static func parse(_ text: String, file: String = "openb_pod_list.csv") throws(ConfigError) -> Workload {
        let csv = try CSVRecords(text, file: file)
        let times = ["creation_time", "deletion_time", "scheduled_time"]
        if !times.allSatisfy(csv.header.contains) {
            throw csv.error(
                line: csv.headerLine,
                "no \(times.joined(separator: "/")) columns (the openb cpu0 and multigpu variants have none), "
                    + "so the pods cannot be replayed in time")
        }
        let col = try csv.columns(
            required: ["name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli"] + times, optional: [],
            allowOthers: true)
        var jobs: [TraceJob] = []
        var skipped: [String: Int] = [:]
        var running = 0
        for record in csv.records {
            func fail(_ path: String, _ m: String) -> ConfigError { csv.error(line: record.line, path: path, m) }
            func whole(_ c: String, optional: Bool = false) throws(ConfigError) -> Int64? {
                let s = record.field(col[c])
                if s.isEmpty && optional { return nil }
                guard let v = Int64(s), v >= 0 else { throw fail(c, "'\(s)' is not a whole number") }
                // Times in seconds, CPUs in thousandths, memory in MiB: beyond this, no trace's own.
                guard v <= Int64(TraceJob.longestTime) else {
                    throw fail(c, "at most \(Int64(TraceJob.longestTime)), not \(s)")
                }
                return v
            }
            let name = record.field(col["name"])
            guard !name.isEmpty else { throw fail("name", "every pod needs a name") }
            let cpuMilli = try whole("cpu_milli")!
            let memoryMiB = try whole("memory_mib")!
            let numGPU = try whole("num_gpu")!
            let gpuMilli = try whole("gpu_milli")!
            guard gpuMilli <= 1000 else { throw fail("gpu_milli", "more than 1000 (one whole GPU): \(gpuMilli)") }
            let creation = try whole("creation_time")!
            let deletion = try whole("deletion_time", optional: true)
            let scheduled = try whole("scheduled_time", optional: true)
            let spec = record.field(col["gpu_spec"])
            if numGPU > 0 && gpuMilli < 1000 {
                skipped[fractionalGPU, default: 0] += 1
                continue
            }
            guard let scheduled, let deletion else {
                skipped[neverScheduled, default: 0] += 1
                continue
            }
            if spec.contains("|") {
                skipped[modelAlternatives, default: 0] += 1
                continue
            }
            guard deletion >= scheduled else {
                throw fail("deletion_time", "\(deletion) is before scheduled_time \(scheduled)")
            }
            if record.field(col["pod_phase"]) == "Running" { running += 1 }
            let request = ResourceRequest(
                gpus: Int(numGPU), gpuModel: spec.isEmpty ? nil : spec,
                cpus: cpuMilli == 0 ? nil : Int((cpuMilli + 999) / 1000),
                memory: memoryMiB == 0 ? nil : ByteSize(bytes: UInt64(memoryMiB) << 20))
            jobs.append(
                TraceJob(id: name, submit: Double(creation), duration: Double(deletion - scheduled), request: request))
        }
        let skippedCount = skipped.values.reduce(0, +)
        return Workload(
            jobs: jobs, notReplayable: skipped,
            provenance: "Alibaba openb v2023 pod list \(file): \(jobs.count) of \(csv.records.count) pods replayable, "
                + "\(skippedCount) not; \(running) still Running at the end of the trace (their run times are cut there)"
        )
    }
}
