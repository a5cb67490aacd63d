import ArgumentParser
import Foundation
import Scheduler

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

    @Option(name: .long, parsing: .upToNextOption, help: "Cluster descriptions (today's cluster.yaml, scenarios/*.yaml).")
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

    @Option(help: "Placement policies to compare, comma-separated (pack, best-fit, first-fit, spread); default: each cluster's.")
    var policy: String?

    @Option(parsing: .upToNextOption, help: "Relative GPU speeds, MODEL=X (defaults in docs/simulate.md).")
    var speed: [String] = []

    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Print CSV, one row per scenario and policy.") var csv = false

    @Option(help: "Write a self-contained HTML report here.")
    var report: String?

    func validate() throws {
        let sources = [trace, philly, alibaba].compactMap { $0 }.count + (generate == nil ? 0 : 1)
        guard sources == 1 else { throw ValidationError("give one workload: --trace, --philly, --alibaba or --generate") }
        if let generate, generate <= 0 { throw ValidationError("--generate takes a number of jobs, not \(generate)") }
        if let load, !(load > 0) { throw ValidationError("--load takes a positive offered load such as 0.8, not \(load)") }
        if json && csv { throw ValidationError("give --json or --csv, not both") }
        if generate != nil && profile != "philly" {
            throw ValidationError("unknown profile '\(profile)' (profiles: philly)")
        }
        _ = try speeds()
        _ = try policies()
    }

    func speeds() throws -> GPUSpeed {
        var s = GPUSpeed.defaults
        for item in speed {
            let parts = item.split(separator: "=")
            guard parts.count == 2, let v = Double(parts[1]), v > 0 else {
                throw ValidationError("--speed takes MODEL=X with X > 0, such as B200=2.3, not '\(item)'")
            }
            s.relative[String(parts[0])] = v
        }
        return s
    }

    func policies() throws -> [PlacementPolicyName?] {
        guard let policy else { return [nil] }
        return try policy.split(separator: ",").map { name in
            guard let p = PlacementPolicyName(rawValue: String(name)) else {
                throw ValidationError("unknown policy '\(name)' (pack, best-fit, first-fit, spread)")
            }
            return p
        }
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
        let base = try workload()
        let speed = try speeds()
        var columns: [SimulationColumn] = []
        let policies = try policies()
        for file in cluster {
            let spec: ClusterSpec
            do { spec = try ClusterSpec.load(file: file) } catch { throw CLIError("\(error)") }
            let gpus = ClusterState(spec: spec).freeShapes().totalGPUs
            let workload = try load.map { l in
                do { return try base.scaled(toLoad: l, gpus: gpus) } catch { throw CLIError("\(error)") }
            } ?? base
            let jobs = Self.simulated(workload, spec: spec)
            let scenario = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            for p in policies {
                let label = p?.rawValue ?? spec.placement.policy.rawValue
                FileHandle.standardError.write(Data("simulating \(jobs.count) jobs on \(scenario) (\(label))…\n".utf8))
                var last = -1
                let run = Simulator.run(
                    spec: spec, jobs: jobs, options: .init(policy: p, speed: speed)
                ) { fraction in
                    let percent = Int(fraction * 100)
                    if percent / 10 != last / 10 {
                        last = percent
                        FileHandle.standardError.write(Data("  \(percent)%\n".utf8))
                    }
                }
                if !run.invariantViolations.isEmpty {
                    throw CLIError("simulation invariant broken: \(run.invariantViolations.joined(separator: "; "))")
                }
                columns.append(SimulationColumn(scenario: scenario, policy: label, run: run))
            }
        }
        if !base.notReplayable.isEmpty {
            let list = base.notReplayable.sorted { $0.key < $1.key }.map { "\($1) × \($0)" }.joined(separator: "; ")
            FileHandle.standardError.write(Data("not replayable (left out): \(list)\n".utf8))
        }
        if let report {
            let html = SimulateHTML.page(columns, title: "Raspored simulation", workload: base.provenance)
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

    /// The simulator's form of a workload: ids by position, times in whole seconds, the time limit the
    /// trace gives or else the partition's maximum (a trace's run times are what happened; the default
    /// limit would cut long jobs short).
    static func simulated(_ w: Workload, spec: ClusterSpec) -> [SimulatedJob] {
        let fallback = (spec.defaultPartition?.maxTime.seconds).map { max($0, 1) } ?? 7 * 86_400
        return w.jobs.enumerated().map { i, j in
            let partitionMax = j.request.partition.flatMap(spec.partition(named:))?.maxTime.seconds ?? fallback
            return SimulatedJob(
                id: Int64(i + 1), submit: Int64(j.submit.rounded()), duration: max(Int64(j.duration.rounded()), 1),
                timeLimit: j.timeLimit?.seconds ?? partitionMax, request: j.request, account: j.request.account ?? "")
        }
    }
}
