import ArgumentParser
import Foundation
import Scheduler
import Synchronization

/// `schedctl simulate`: replays a workload on one or more cluster descriptions with the production
/// scheduling code (the engine's placement and queue pass), side by side. Needs no controller.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Replay a workload on clusters (today's, candidate machines) and compare them side by side.",
        discussion: """
            Workloads: --trace FILE in the project's CSV format (docs/simulate.md), --philly FILE or \
            --alibaba FILE for the published traces, or --generate N jobs (--profile philly, --seed S). \
            --load X rescales arrivals to an offered load X on each scenario. Output: a table, --json, \
            --csv, and --report FILE.html (one self-contained page with charts). Progress goes to stderr.
            """)

    @Option(
        name: .long, parsing: .upToNextOption, help: "Cluster descriptions (today's cluster.yaml, scenarios/*.yaml).")
    var cluster: [String] = ["cluster.yaml"]

    @Option(help: "A trace in the project's CSV format.")
    var trace: String?

    @Option(help: "The Microsoft Philly trace (Pollux extraction).")
    var philly: String?

    @Option(help: "An Alibaba openb v2023 pod list.")
    var alibaba: String?

    @Option(help: "Generate this many jobs from --profile.")
    var generate: Int?

    @Option(help: "The generator's profile (philly: calibrated to the Microsoft Philly trace).")
    var profile = "philly"

    @Option(help: "The generator's seed.")
    var seed: UInt64 = 1

    @Option(help: "Rescale arrivals to this offered load on each scenario (e.g. 0.8).")
    var load: Double?

    @Option(
        help:
            "Queue policies to compare, comma-separated (fifo, strict-fifo, backfill, fairshare); default: each cluster's scheduling.policy."
    )
    var policy: String?

    @Option(
        help:
            "Placement policies to compare, comma-separated (pack, best-fit, first-fit, spread); default: each cluster's."
    )
    var placement: String?

    @Option(
        help:
            "A maintenance window on every scenario: NODES@START+DURATION[/EVERY], e.g. 'dgx[05-06]@7d+8h/30d' or all@2d+4h (times from the trace's start)."
    )
    var maintenance: [String] = []

    @Option(help: "Random node failures on every scenario: mtbf=TIME[,repair=TIME][,seed=N], e.g. mtbf=90d,repair=12h.")
    var failures: String?

    @Option(parsing: .upToNextOption, help: "Relative GPU speeds, MODEL=X, over those the cluster files declare.")
    var speed: [String] = []

    @Option(
        help: "Size a node type: TYPE=LO..HI[:STEP], e.g. dgx-b200=8..64:8 (one --cluster; points run in parallel).")
    var sweep: String?

    @Option(
        help:
            "With --sweep, the target the smallest size must meet: p50-wait, p95-wait, p99-wait or mean-wait <= TIME, or utilization >= X."
    )
    var target: String?

    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Print CSV, one row per scenario and policy.") var csv = false

    @Option(
        help:
            "Time limits for jobs the workload gives none: X times the run, rounded up to a minute, at most the partition's maximum (users overestimate; e.g. 2). Default: the partition's maximum."
    )
    var timeLimitFactor: Double?

    @Option(help: "Write a self-contained HTML report here.")
    var report: String?

    @Option(help: "Write one CSV row per job and run here: scenario,policy,id,submit,start,end,outcome,placement.")
    var jobsOut: String?

    @Option(
        help:
            "How long each job holds its GPUs past its trace run time (launch and exit report), e.g. 0.07 or 70ms, where the trace gives no hold of its own; default 0."
    )
    var holdOverhead: String?

    func validate() throws {
        let sources = [trace, philly, alibaba].compactMap { $0 }.count + (generate == nil ? 0 : 1)
        guard sources == 1 else {
            throw ValidationError("give one workload: --trace, --philly, --alibaba or --generate")
        }
        if let generate, generate <= 0 { throw ValidationError("--generate takes a number of jobs, not \(generate)") }
        if let load, !(load > 0) {
            throw ValidationError("--load takes a positive offered load such as 0.8, not \(load)")
        }
        if json && csv { throw ValidationError("give --json or --csv, not both") }
        if let f = timeLimitFactor, !(f >= 1 && f.isFinite) {
            throw ValidationError(
                "--time-limit-factor takes a factor of at least 1 (a limit shorter than the run would cut it), not \(f)"
            )
        }
        if generate != nil && profile != "philly" {
            throw ValidationError("unknown profile '\(profile)' (profiles: philly)")
        }
        _ = try speeds()
        _ = try holdOverheadMillis()
        _ = try policies()
        _ = try placements()
        _ = try cliEvents()
        if sweep != nil {
            guard cluster.count == 1 else { throw ValidationError("--sweep sizes one cluster: give one --cluster") }
            _ = try sweepRange()
            if let target { _ = try SweepTarget(parsing: target) }
        } else if target != nil {
            throw ValidationError("--target goes with --sweep")
        }
    }

    /// TYPE, and the sizes to try.
    func sweepRange() throws -> (String, [Int]) {
        let text = sweep ?? ""
        let bad = ValidationError("--sweep takes TYPE=LO..HI[:STEP] such as dgx-b200=8..64:8, not '\(text)'")
        let parts = text.split(separator: "=", maxSplits: 1)
        guard parts.count == 2 else { throw bad }
        let rangeAndStep = parts[1].split(separator: ":")
        let bounds = rangeAndStep[0].components(separatedBy: "..")
        guard bounds.count == 2, let lo = Int(bounds[0]), let hi = Int(bounds[1]), lo >= 0, hi >= lo else { throw bad }
        let step = rangeAndStep.count > 1 ? Int(rangeAndStep[1]) : 1
        guard let step, step > 0, rangeAndStep.count <= 2 else { throw bad }
        return (String(parts[0]), Array(stride(from: lo, through: hi, by: step)))
    }

    /// `--hold-overhead` in milliseconds: seconds with up to three decimals, or a number of milliseconds with
    /// `ms` (at most an hour).
    func holdOverheadMillis() throws -> Int64 {
        guard let text = holdOverhead else { return 0 }
        let bad = ValidationError(
            "--hold-overhead takes seconds (0.07) or milliseconds (70ms), at most an hour, not '\(text)'")
        let ms: Double
        if text.hasSuffix("ms") {
            guard let v = Double(text.dropLast(2)) else { throw bad }
            ms = v
        } else {
            guard let v = Double(text) else { throw bad }
            ms = v * 1000
        }
        guard ms.isFinite, ms >= 0, ms <= 3_600_000 else { throw bad }
        return Int64(ms.rounded())
    }

    /// `--speed` overrides of the speeds the cluster files declare.
    func speeds() throws -> [String: Double] {
        var s: [String: Double] = [:]
        for item in speed {
            let parts = item.split(separator: "=")
            guard parts.count == 2, let v = Double(parts[1]), v > 0 else {
                throw ValidationError("--speed takes MODEL=X with X > 0, such as B200=2.3, not '\(item)'")
            }
            s[String(parts[0])] = v
        }
        return s
    }

    func policies() throws -> [QueuePolicyName?] {
        guard let policy else { return [nil] }
        return try policy.split(separator: ",").map { name in
            guard let p = QueuePolicyName(rawValue: String(name)) else {
                let names = QueuePolicyName.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("unknown queue policy '\(name)' (\(names); placement policies go to --placement)")
            }
            return p
        }
    }

    func placements() throws -> [PlacementPolicyName?] {
        guard let placement else { return [nil] }
        return try placement.split(separator: ",").map { name in
            guard let p = PlacementPolicyName(rawValue: String(name)) else {
                throw ValidationError("unknown placement policy '\(name)' (pack, best-fit, first-fit, spread)")
            }
            return p
        }
    }

    /// `--maintenance` and `--failures`, for every scenario.
    func cliEvents() throws -> SimulationEvents {
        var e = SimulationEvents()
        for m in maintenance {
            guard let w = SimulationEvents.Maintenance(parsing: m) else {
                throw ValidationError(
                    "--maintenance takes NODES@START+DURATION[/EVERY] such as 'dgx[05-06]@7d+8h/30d', not '\(m)'")
            }
            e.maintenance.append(w)
        }
        if let failures {
            guard let f = SimulationEvents.FailureModel(parsing: failures) else {
                throw ValidationError(
                    "--failures takes mtbf=TIME[,repair=TIME][,seed=N] such as mtbf=90d,repair=12h, not '\(failures)'")
            }
            e.failureModel = f
        }
        return e
    }

    /// A scenario's cluster and its own `simulation` section merged with the command line's.
    func scenario(_ file: String) throws -> (ClusterSpec, SimulationEvents) {
        do {
            // Read once: the cluster and its `simulation` section are in the same file.
            let text = try ConfigNode.readFile(file)
            let spec = try ClusterSpec.parse(yaml: text, file: file)
            return (spec, try SimulationEvents.parse(yaml: text, file: file).merged(with: try cliEvents()))
        } catch let e as ConfigError {
            throw CLIError("\(e)")
        }
    }

    /// A column's policy label: the queue policy, with the placement policy when one was chosen.
    static func label(_ spec: ClusterSpec, _ q: QueuePolicyName?, _ p: PlacementPolicyName?) -> String {
        let queue = (q ?? spec.scheduling.policy).rawValue
        return p.map { "\(queue)+\($0.rawValue)" } ?? queue
    }

    func workload() throws -> Workload {
        do {
            if let trace { return try TraceCSV.read(path: trace) }
            if let philly { return try PhillyTrace.read(path: philly) }
            if let alibaba { return try AlibabaOpenbTrace.read(path: alibaba) }
            return WorkloadGenerator(profile: .philly, seed: seed).generate(jobs: generate ?? 0)
        } catch {
            throw CLIError("\(error)")
        }
    }

    func run() throws {
        if sweep != nil { return try runSweep() }
        let base = try workload()
        let speed = try speeds()
        var columns: [SimulationColumn] = []
        let policies = try policies()
        let placements = try placements()
        let hold = try holdOverheadMillis()
        let jobsOut = try jobsOut.map { try SimulateJobsOut(path: $0) }
        for file in cluster {
            let (declared, events) = try scenario(file)
            let spec = Self.withAccounts(of: base, on: declared, file: file)
            let gpus = ClusterState(spec: spec).freeShapes().totalGPUs
            let workload =
                try load.map { l in
                    do { return try base.scaled(toLoad: l, gpus: gpus) } catch { throw CLIError("\(error)") }
                } ?? base
            let jobs = Self.simulated(workload, spec: spec, limitFactor: timeLimitFactor)
            let scenario = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            for (q, p) in policies.flatMap({ q in placements.map { (q, $0) } }) {
                let label = Self.label(spec, q, p)
                FileHandle.standardError.write(Data("simulating \(jobs.count) jobs on \(scenario) (\(label))…\n".utf8))
                var last = -1
                let options = Simulator.Options(
                    queue: q, placement: p, speed: GPUSpeed(spec: spec, overrides: speed), events: events,
                    holdOverheadMillis: hold, recordsPlacements: jobsOut != nil)
                let run: Simulator.Run
                do {
                    run = try Simulator.run(
                        spec: spec, jobs: jobs, options: options,
                        progress: { fraction in
                            let percent = Int(fraction * 100)
                            if percent / 10 != last / 10 {
                                last = percent
                                FileHandle.standardError.write(Data("  \(percent)%\n".utf8))
                            }
                        }, beside: Self.onAThread)
                } catch {
                    throw CLIError("\(file): \(error)")
                }
                if !run.invariantViolations.isEmpty {
                    throw CLIError("simulation invariant broken: \(run.invariantViolations.joined(separator: "; "))")
                }
                try jobsOut?.write(
                    scenario: scenario, policy: label, ids: workload.jobs.map(\.id), outcomes: run.outcomes)
                columns.append(SimulationColumn(scenario: scenario, policy: label, run: run))
            }
        }
        if let jobsOut { FileHandle.standardError.write(Data("per-job rows written to \(jobsOut.path)\n".utf8)) }
        if !base.notReplayable.isEmpty {
            let list = base.notReplayable.sorted { $0.key < $1.key }.map { "\($1) × \($0)" }.joined(separator: "; ")
            FileHandle.standardError.write(Data("not replayable (left out): \(list)\n".utf8))
        }
        if let report {
            let html = SimulateHTML.page(
                columns, title: "Raspored simulation", workload: base.provenance,
                jobsOut: jobsOut.map { Self.link(to: $0.path, from: report) })
            do { try html.write(toFile: report, atomically: true, encoding: .utf8) } catch {
                throw CLIError("cannot write \(report): \(error.localizedDescription)")
            }
            FileHandle.standardError.write(Data("report written to \(report)\n".utf8))
        }
        if json {
            print(try SimulateOutput.json(columns))
        } else if csv {
            print(SimulateOutput.csv(columns))
        } else {
            print(SimulateOutput.table(columns))
        }
    }

    /// Starts a replay's work beside it (`Simulator.run`'s `beside`) on a thread of its own. (A sweep gives its
    /// replays none: they keep every core busy already.)
    static func onAThread(_ work: @escaping @Sendable () -> Void) {
        let thread = Thread(block: work)
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// `--sweep`: one run per size of a node type, in parallel on the machine's cores; the same arrivals at
    /// every size (`--load` scales them to the cluster as the file gives it).
    func runSweep() throws {
        let (type, sizes) = try sweepRange()
        let goal = try target.map { try SweepTarget(parsing: $0) }
        let (declared, events) = try scenario(cluster[0])
        guard declared.nodeType(named: type) != nil else {
            throw CLIError(
                "--sweep: no node type '\(type)' in \(cluster[0]) (types: \(declared.nodeTypes.map(\.name).joined(separator: ", ")))"
            )
        }
        var base = try workload()
        let spec = Self.withAccounts(of: base, on: declared, file: cluster[0])
        if let load {
            do { base = try base.scaled(toLoad: load, gpus: ClusterState(spec: spec).freeShapes().totalGPUs) } catch {
                throw CLIError("\(error)")
            }
        }
        let jobs = Self.simulated(base, spec: spec, limitFactor: timeLimitFactor)
        let ids = base.jobs.map(\.id)
        let speed = try speeds()
        let policy = try policies()[0]
        let placement = try placements()[0]
        let hold = try holdOverheadMillis()
        let jobsOut = try jobsOut.map { try SimulateJobsOut(path: $0) }
        let specs = sizes.map { spec.withCount(of: type, $0)! }
        FileHandle.standardError.write(
            Data(
                "sweeping \(type) over \(sizes.count) sizes with \(jobs.count) jobs, \(ProcessInfo.processInfo.activeProcessorCount) at a time…\n"
                    .utf8))
        let results = Mutex<[Int: Result<SimulationColumn, CLIError>]>([:])
        DispatchQueue.concurrentPerform(iterations: specs.count) { i in
            let options = Simulator.Options(
                queue: policy, placement: placement, speed: GPUSpeed(spec: specs[i], overrides: speed), events: events,
                holdOverheadMillis: hold, recordsPlacements: jobsOut != nil)
            let result: Result<SimulationColumn, CLIError>
            do {
                let run = try Simulator.run(spec: specs[i], jobs: jobs, options: options)
                let label = Self.label(spec, policy, placement)
                let rows =
                    jobsOut == nil
                    ? ""
                    : SimulateJobsOut.rows(
                        scenario: "\(type)=\(sizes[i])", policy: label, ids: ids, outcomes: run.outcomes)
                result = .success(
                    SimulationColumn(scenario: "\(type)=\(sizes[i])", policy: label, run: run, jobRows: rows))
            } catch {
                result = .failure(CLIError("\(cluster[0]) with \(type)=\(sizes[i]): \(error)"))
            }
            results.withLock { $0[i] = result }
            FileHandle.standardError.write(Data("  \(type)=\(sizes[i]) done\n".utf8))
        }
        let columns = try results.withLock { r in try sizes.indices.map { try r[$0]!.get() } }
        if let jobsOut {
            for c in columns { try jobsOut.write(rows: c.jobRows) }
            FileHandle.standardError.write(Data("per-job rows written to \(jobsOut.path)\n".utf8))
        }
        let smallest = goal.flatMap { g in zip(sizes, columns).first { g.met(by: $0.1.report) }?.0 }
        if let report {
            let html = SimulateHTML.page(
                columns, title: "Raspored sizing sweep: \(type)", workload: base.provenance,
                jobsOut: jobsOut.map { Self.link(to: $0.path, from: report) })
            do { try html.write(toFile: report, atomically: true, encoding: .utf8) } catch {
                throw CLIError("cannot write \(report): \(error.localizedDescription)")
            }
        }
        if json {
            struct Sweep: Encodable {
                var type: String
                var target: String?
                var smallest: Int?
                var runs: [SimulationColumn]
            }
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(
                String(
                    decoding: try e.encode(Sweep(type: type, target: target, smallest: smallest, runs: columns)),
                    as: UTF8.self))
        } else if csv {
            print(SimulateOutput.csv(columns))
        } else {
            print(SimulateOutput.table(columns))
            if let target {
                print("")
                print(
                    smallest.map { "Smallest \(type) count meeting \(target): \($0)" }
                        ?? "No size in the sweep meets \(target)")
            }
        }
    }

    /// How the report at `report` links to the file at `path`: its name when both are in one directory, else
    /// its absolute path.
    static func link(to path: String, from report: String) -> String {
        let file = URL(fileURLWithPath: path).standardizedFileURL
        let page = URL(fileURLWithPath: report).standardizedFileURL
        return file.deletingLastPathComponent() == page.deletingLastPathComponent() ? file.lastPathComponent : file.path
    }

    /// `spec` with the workload's accounts it does not declare added (share 1, no limits), said on stderr.
    static func withAccounts(of w: Workload, on spec: ClusterSpec, file: String) -> ClusterSpec {
        let (out, added) = spec.addingAccounts(w.jobs.lazy.compactMap(\.request.account))
        if !added.isEmpty {
            let names = added.prefix(8).joined(separator: ", ") + (added.count > 8 ? ", …" : "")
            FileHandle.standardError.write(
                Data(
                    "\(file): \(added.count) accounts of the workload are not declared; simulated with share 1 and no limits: \(names)\n"
                        .utf8))
        }
        return out
    }

    /// The simulator's form of a workload: ids by position, times (and holds) to the millisecond (a run at least 1 ms),
    /// the time limit the trace gives, else `limitFactor` × the run (rounded up to a whole minute, at most the
    /// partition's maximum) when given, else the partition's maximum (a trace's run times are what happened;
    /// the default limit would cut long jobs short).
    static func simulated(_ w: Workload, spec: ClusterSpec, limitFactor: Double? = nil) -> [SimulatedJob] {
        let fallback = (spec.defaultPartition?.maxTime.seconds).map { max($0, 1) } ?? 7 * 86_400
        return w.jobs.enumerated().map { i, j in
            let partitionMax = j.request.partition.flatMap(spec.partition(named:))?.maxTime.seconds ?? fallback
            let duration = max(Int64((j.duration * 1000).rounded()), 1)
            let estimate = limitFactor.map { f in
                min(Int64((Double(duration) / 1000 * f / 60).rounded(.up)) * 60, partitionMax)
            }
            return SimulatedJob(
                id: Int64(i + 1), submitMillis: Int64((j.submit * 1000).rounded()), durationMillis: duration,
                timeLimit: j.timeLimit?.seconds ?? estimate ?? partitionMax, request: j.request,
                account: j.request.account ?? "", holdMillis: j.hold.map { Int64(($0 * 1000).rounded()) })
        }
    }
}

/// What a sized cluster must achieve: `p95-wait<=1h`, `mean-wait<=10m`, `utilization>=0.7`.
struct SweepTarget {
    enum Figure: String {
        case p50Wait = "p50-wait", p95Wait = "p95-wait", p99Wait = "p99-wait", meanWait = "mean-wait", utilization
    }
    var figure: Figure
    var limit: Double

    init(parsing text: String) throws {
        let bad = ValidationError(
            "--target takes p50-wait, p95-wait, p99-wait or mean-wait <= TIME, or utilization >= X (e.g. p95-wait<=1h), not '\(text)'"
        )
        if let r = text.range(of: "<=") {
            guard let f = Figure(rawValue: String(text[..<r.lowerBound])), f != .utilization,
                let t = TimeSpan(parsing: String(text[r.upperBound...]))
            else { throw bad }
            figure = f
            limit = Double(t.seconds)
        } else if let r = text.range(of: ">=") {
            guard text[..<r.lowerBound] == "utilization", let x = Double(text[r.upperBound...]) else { throw bad }
            figure = .utilization
            limit = x
        } else {
            throw bad
        }
    }

    func met(by r: SimulationReport) -> Bool {
        switch figure {
        case .p50Wait: r.wait.p50 <= limit
        case .p95Wait: r.wait.p95 <= limit
        case .p99Wait: r.wait.p99 <= limit
        case .meanWait: r.wait.mean <= limit
        case .utilization: r.utilization >= limit
        }
    }
}
