import Foundation
import RasporedAPI
import Scheduler

/// What a submission asks for, from command-line flags, `#RASPORED`/`#SBATCH` directives, or both; nil
/// where a layer said nothing, so layers can be stacked (`over`).
struct JobOptions: Equatable {
    var gpus: Int?
    var gpuMemory: ByteSize?
    var gpuModel: String?
    /// Whether `gpuModel` came with a GPU count (`--gres=gpu:a100:4`, `--gpus a100:4`): it then goes with
    /// that count, and a later layer's count replaces both (`sbatch --gres=gpu:4` over a script's
    /// `--gres=gpu:a100:4` asks for any 4 GPUs); a model of its own (`--gpu-model`) stays.
    var gpuModelWithCount = false
    var minGpuMemory: ByteSize?
    var cpus: Int?
    var memory: ByteSize?
    var scratch: ByteSize?
    var storage: ByteSize?
    var nodes: Int?
    var gpusPerNode: Int?
    var exclusive: Bool?
    var sameNuma: Bool?
    var time: TimeSpan?
    var partition: String?
    var account: String?
    var name: String?
    var output: String?
    var workdir: String?
    var noRequeue: Bool?
    var array: ArraySpec?
    var dependency: JobDependency?
    /// Which of the submitter's environment variables the job gets (`--export`); nil for the default, ALL.
    var export: JobExport?
    /// Host memory per GPU (`--mem-per-gpu`), turned into memory per node by `resourceRequest`.
    var memoryPerGPU: ByteSize?
    /// Slurm's task counts (`--ntasks`, `--ntasks-per-node`) and per-task resources (`--cpus-per-task`,
    /// `--gpus-per-task`), turned into the job's cores and GPUs by `resourceRequest`.
    var ntasks: Int?
    var ntasksPerNode: Int?
    var cpusPerTask: Int?
    var gpusPerTask: Int?
    /// The nodes it must run on, may not run on, and the features they must have (host lists, and Slurm's
    /// feature expression), as the engine reads them (`ResourceRequest`).
    var nodelist: String?
    var exclude: String?
    var constraint: String?
    var error: String?
    var openMode: OpenMode?
    var hold: Bool?
    var begin: ReservationTime?
    var nice: Int?
    var warning: WarningSignal?
    var killGrace: Int?

    /// Whether any of the GPU count's fields (gpus, gpuMemory, gpusPerNode, gpusPerTask) is set.
    var asksGPUCount: Bool { gpus != nil || gpuMemory != nil || gpusPerNode != nil || gpusPerTask != nil }

    /// These options over `base`'s: each field given here wins. The GPU count is one decision: when this
    /// layer gives any of gpus, gpuMemory or gpusPerNode, the base's three are dropped together (a `--gpus 8`
    /// flag replaces a script's `--gres=gpu:4`, it does not combine with it).
    func over(_ base: JobOptions) -> JobOptions {
        var out = base
        if asksGPUCount {
            out.gpus = gpus
            out.gpuMemory = gpuMemory
            out.gpusPerNode = gpusPerNode
            out.gpusPerTask = gpusPerTask
            if base.gpuModelWithCount {
                out.gpuModel = nil
                out.gpuModelWithCount = false
            }
        }
        // So are the cores: --cpus (per node) and --cpus-per-task replace each other.
        if cpus != nil || cpusPerTask != nil {
            out.cpus = cpus
            out.cpusPerTask = cpusPerTask
        }
        out.ntasks = ntasks ?? base.ntasks
        out.ntasksPerNode = ntasksPerNode ?? base.ntasksPerNode
        if gpuModel != nil {
            out.gpuModel = gpuModel
            out.gpuModelWithCount = gpuModelWithCount
        }
        out.minGpuMemory = minGpuMemory ?? base.minGpuMemory
        out.memory = memory ?? base.memory
        out.scratch = scratch ?? base.scratch
        out.storage = storage ?? base.storage
        out.nodes = nodes ?? base.nodes
        out.exclusive = exclusive ?? base.exclusive
        out.sameNuma = sameNuma ?? base.sameNuma
        out.time = time ?? base.time
        out.partition = partition ?? base.partition
        out.account = account ?? base.account
        out.name = name ?? base.name
        out.output = output ?? base.output
        out.workdir = workdir ?? base.workdir
        out.noRequeue = noRequeue ?? base.noRequeue
        out.array = array ?? base.array
        out.dependency = dependency ?? base.dependency
        out.export = export ?? base.export
        // Memory is one decision too: --mem and --mem-per-gpu replace each other.
        if memory != nil || memoryPerGPU != nil {
            out.memory = memory
            out.memoryPerGPU = memoryPerGPU
        }
        out.nodelist = nodelist ?? base.nodelist
        out.exclude = exclude ?? base.exclude
        out.constraint = constraint ?? base.constraint
        out.error = error ?? base.error
        out.openMode = openMode ?? base.openMode
        out.hold = hold ?? base.hold
        out.begin = begin ?? base.begin
        out.nice = nice ?? base.nice
        out.warning = warning ?? base.warning
        out.killGrace = killGrace ?? base.killGrace
        return out
    }

    /// Sets the GPU model a count option named.
    mutating func setCountModel(_ model: String) {
        gpuModel = model
        gpuModelWithCount = true
    }

    /// GPUs on each node, where the options say: `gpusPerNode`, or the GPU count of a job on one node, or
    /// the count split evenly over the nodes.
    var gpusOnEachNode: Int? {
        if let per = gpusPerNode { return per }
        if let per = gpusPerTask { return per * tasksPerNode }
        guard let g = gpus else { return nil }
        let n = nodes ?? 1
        return g % n == 0 ? g / n : nil
    }

    /// Tasks on each node: `--ntasks-per-node`, else `--ntasks` over the nodes (rounded up, as Slurm
    /// spreads them), else 1.
    var tasksPerNode: Int {
        if let n = ntasksPerNode { return n }
        if let t = ntasks { return (t + (nodes ?? 1) - 1) / max(nodes ?? 1, 1) }
        return 1
    }

    /// Tasks in all: `--ntasks`, else `--ntasks-per-node` on every node, else one per node.
    var taskCount: Int { ntasks ?? tasksPerNode * (nodes ?? 1) }

    /// The job's tasks, when any task option is given: what `srun` in it starts on each node by default.
    /// `--ntasks` without `--nodes` is a total, spread over the nodes the job gets.
    var taskLayout: TaskLayout? {
        guard ntasks != nil || ntasksPerNode != nil || cpusPerTask != nil || gpusPerTask != nil else { return nil }
        if ntasksPerNode == nil, nodes == nil, let total = ntasks {
            return TaskLayout(total: total, coresPerTask: cpusPerTask, gpusPerTask: gpusPerTask)
        }
        return TaskLayout(perNode: tasksPerNode, coresPerTask: cpusPerTask, gpusPerTask: gpusPerTask)
    }

    /// Why these options cannot make one request, or nil.
    var problem: String? {
        if gpusPerTask != nil && (gpus != nil || gpusPerNode != nil || gpuMemory != nil) {
            return "give --gpus-per-task or a GPU count (--gpus, --gpus-per-node, --gres), not both"
        }
        let (tasks, overflow) = taskCount.multipliedReportingOverflow(by: max(gpusPerTask ?? cpusPerTask ?? 1, 1))
        if overflow || tasks > 1 << 20 { return "too many tasks (\(taskCount)) for their GPUs or cores" }
        if let why = taskLayout?.problem { return why }
        if memory != nil && memoryPerGPU != nil { return "give --mem or --mem-per-gpu, not both" }
        if memoryPerGPU != nil {
            guard let per = gpusOnEachNode, per > 0 else {
                return "--mem-per-gpu needs a GPU count for each node (--gpus on one node, or --gpus-per-node)"
            }
            guard memoryPerGPU!.bytes.multipliedReportingOverflow(by: UInt64(per)).overflow == false else {
                return "--mem-per-gpu × GPUs per node is too large"
            }
        }
        return nil
    }

    /// The job's controls, but for the begin time (the submit body's `begin`).
    var controls: JobControls {
        JobControls(
            hold: hold == true ? .user : nil, nice: nice ?? 0, warning: warning, killGrace: killGrace, error: error,
            openMode: openMode ?? .truncate, tasks: problem == nil ? taskLayout : nil)
    }

    /// The engine's request. A per-node GPU count without a total (`--gres=gpu:4`, `--gpus-per-node 4`)
    /// becomes the total over the nodes, as Slurm reads it.
    var resourceRequest: ResourceRequest {
        var gpus = self.gpus
        if gpus == nil, gpuMemory == nil, let per = gpusPerNode { gpus = per * (nodes ?? 1) }
        if gpus == nil, gpuMemory == nil, let per = gpusPerTask, problem == nil { gpus = per * taskCount }
        var cpus = self.cpus
        if cpus == nil, let per = cpusPerTask, problem == nil { cpus = per * tasksPerNode }
        var memory = self.memory
        if memory == nil, let m = memoryPerGPU, let per = gpusOnEachNode, problem == nil {
            memory = ByteSize(bytes: m.bytes * UInt64(per))
        }
        return ResourceRequest(
            gpus: gpus, gpuMemory: gpuMemory, gpuModel: gpuModel, minGpuMemory: minGpuMemory, cpus: cpus,
            memory: memory, scratch: scratch, storage: storage, nodes: nodes, gpusPerNode: gpusPerNode,
            exclusive: exclusive ?? false, sameNuma: sameNuma ?? false, partition: partition, account: account,
            time: time, nodelist: nodelist, exclude: exclude, constraint: constraint)
    }

    /// The API's submit body for `command`, in `defaultWorkdir` unless a workdir was given (a relative one is
    /// taken from `defaultWorkdir`).
    func submitRequest(command: [String], defaultWorkdir: String) -> SubmitRequest {
        var controls = self.controls
        controls.submitDir = defaultWorkdir
        return SubmitRequest(
            request: resourceRequest, name: name, command: command,
            workdir: workdir.map { absolutePath($0, from: defaultWorkdir) } ?? defaultWorkdir, output: output,
            noRequeue: noRequeue ?? false, array: array, dependency: dependency, controls: controls, begin: begin)
    }

    /// A job file's submission with the fields given here over its own (the command and environment stay the
    /// file's).
    func apply(to submission: SubmitRequest, cwd: String) -> SubmitRequest {
        var top = self
        top.workdir = workdir.map { absolutePath($0, from: cwd) }
        let out = top.over(JobOptions(fromRequest: submission))
        var controls = out.controls
        controls.submitDir = submission.controls.submitDir ?? cwd
        controls.tasks = controls.tasks ?? submission.controls.tasks
        return SubmitRequest(
            request: out.resourceRequest, name: out.name, command: submission.command,
            workdir: out.workdir ?? submission.workdir, output: out.output, noRequeue: out.noRequeue ?? false,
            array: out.array, dependency: out.dependency, environment: submission.environment, controls: controls,
            begin: out.begin)
    }

    init() {}

    init(fromRequest s: SubmitRequest) {
        let r = s.request
        gpus = r.gpus
        gpuMemory = r.gpuMemory
        gpuModel = r.gpuModel
        minGpuMemory = r.minGpuMemory
        cpus = r.cpus
        memory = r.memory
        scratch = r.scratch
        storage = r.storage
        nodes = r.nodes
        gpusPerNode = r.gpusPerNode
        nodelist = r.nodelist
        exclude = r.exclude
        constraint = r.constraint
        exclusive = r.exclusive
        sameNuma = r.sameNuma
        time = r.time
        partition = r.partition
        account = r.account
        name = s.name
        output = s.output
        workdir = s.workdir
        noRequeue = s.noRequeue
        array = s.array
        dependency = s.dependency
        let c = s.controls
        error = c.error
        openMode = c.openMode == .truncate ? nil : c.openMode
        hold = c.hold != nil ? true : nil
        begin = s.begin
        nice = c.nice == 0 ? nil : c.nice
        warning = c.warning
        killGrace = c.killGrace
    }
}

func absolutePath(_ path: String, from dir: String) -> String {
    if path.hasPrefix("/") { return path }
    let joined = URL(fileURLWithPath: dir).appendingPathComponent(path).standardizedFileURL.path
    return joined
}

/// A bad option value, without its location (the caller adds "file:line" or the flag's name).
struct OptionValueError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Value readers shared by flags and directives, so both accept and refuse the same text.
enum OptionValue {
    /// The largest count an option takes: far above any cluster, and small enough that the products of two
    /// (tasks per node × nodes, cores per task × tasks) cannot overflow.
    static let maxCount = 1 << 24

    static func count(_ v: String, min: Int = 0) throws(OptionValueError) -> Int {
        guard let n = Int(v.trimmingCharacters(in: .whitespaces)) else {
            throw OptionValueError("expected a whole number, not '\(v)'")
        }
        guard n >= min else { throw OptionValueError("must be at least \(min), not \(n)") }
        guard n <= maxCount else { throw OptionValueError("must be at most \(maxCount), not \(n)") }
        return n
    }

    /// A size with a unit ("256GiB", "64G", "2TB"). A bare number is refused, unless `bareUnit` says what
    /// it means (Slurm's --mem reads "4000" as MiB).
    static func size(_ v: String, bareUnit: String? = nil) throws(OptionValueError) -> ByteSize {
        let t = v.trimmingCharacters(in: .whitespaces)
        if !t.isEmpty, t.allSatisfy(\.isNumber) {
            guard let unit = bareUnit, let s = ByteSize(parsing: t + unit) else {
                throw OptionValueError("give a unit: '\(t)GiB', '\(t)GB' or '\(t)M', not a bare '\(t)'")
            }
            return s
        }
        guard let s = ByteSize(parsing: t) else {
            throw OptionValueError("not a size: '\(v)' (such as 256GiB, 64G, 2TB)")
        }
        return s
    }

    static func time(_ v: String) throws(OptionValueError) -> TimeSpan {
        guard let t = TimeSpan(parsing: v) else {
            throw OptionValueError(
                "not a time: '\(v)' (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or 90s, 30m, 4h, 2d)")
        }
        guard t.seconds > 0 else { throw OptionValueError("a time limit must be longer than 0") }
        return t
    }

    /// A job array in Slurm's syntax: "0-99%8", "1,3,5-7", "0-15:4".
    static func array(_ v: String) throws(OptionValueError) -> ArraySpec {
        do { return try ArraySpec(parsing: v) } catch { throw OptionValueError(error.description) }
    }

    /// `--export`: ALL, NONE, or VAR,VAR=value.
    static func export(_ v: String) throws(OptionValueError) -> JobExport { try JobExport.parse(v) }

    /// A dependency in Slurm's syntax: "afterok:12:13,afterany:14", "afterok:12?afternotok:13".
    static func dependency(_ v: String) throws(OptionValueError) -> JobDependency {
        do { return try JobDependency(parsing: v) } catch { throw OptionValueError(error.description) }
    }

    static func text(_ v: String) throws(OptionValueError) -> String {
        let t = v.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { throw OptionValueError("expected a value") }
        return t
    }
}
