import Foundation
import Scheduler
import Testing

/// `schedctl simulate`, the real binary, on fixture traces and the repository's scenarios.
@Suite struct SimulateCLITests {
    @Test func aTraceIsReplayedOnTwoScenariosUnderTwoPoliciesSideBySide() throws {
        let trace = try CLI.temp(
            "trace.csv",
            """
            id,submit,duration,time_limit,gpus,account
            a,0,100,3600,8,ivi
            b,0,100,3600,8,ivi
            c,0,100,3600,8,ivi
            d,0,100,3600,8,ivi
            e,0,100,3600,8,ivi
            f,0,100,3600,8,ivi
            g,10,50,3600,8,etf
            h,20,10,3600,1,etf
            i,0,10,3600,64,etf

            """)
        let r = try CLI.run([
            "simulate", "--trace", trace, "--cluster", "cluster.yaml", "scenarios/dgx-b200-x32.yaml",
            "--placement", "pack,best-fit", "--json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        struct Out: Decodable {
            struct Run: Decodable {
                var scenario: String
                var policy: String
                var gpus: Int
                var report: SimulationReport
            }
            var runs: [Run]
        }
        let out = try JSONDecoder().decode(Out.self, from: Data(r.stdout.utf8))
        #expect(
            out.runs.map { "\($0.scenario)/\($0.policy)" } == [
                "cluster/fairshare+pack", "cluster/fairshare+best-fit", "dgx-b200-x32/fairshare+pack",
                "dgx-b200-x32/fairshare+best-fit",
            ])
        let today = out.runs[0].report
        // The hand-worked trace of SimulatorTests: job g waits 90 s, h 80 s on 48 GPUs; i never fits.
        #expect(out.runs[0].gpus == 48)
        #expect(today.completed == 8)
        #expect(today.neverFits == ["64 GPUs requested; the cluster has 48": 1])
        #expect(today.wait.mean == 170.0 / 8)
        // On 32 × B200 (256 GPUs) nobody waits, and the 64-GPU job (8 whole nodes) runs too.
        let b200 = out.runs[2].report
        #expect(out.runs[2].gpus == 256)
        #expect(b200.completed == 9)
        #expect(b200.wait.mean == 0)
        #expect(b200.neverFits.isEmpty)
    }

    @Test func theTableNamesJobsThatNeverFitOncePerScenario() throws {
        // Whether a job can fit depends on the scenario, not on the queue policy: three policies on one
        // scenario list the 64-GPU job once, under the scenario's name; the B200 scenario holds it.
        let trace = try CLI.temp(
            "never.csv",
            """
            id,submit,duration,time_limit,gpus,account
            a,0,100,3600,8,ivi
            b,0,10,3600,64,etf
            c,5,10,3600,64,etf

            """)
        let r = try CLI.run([
            "simulate", "--trace", trace, "--cluster", "cluster.yaml", "scenarios/dgx-b200-x32.yaml", "--policy",
            "fifo,backfill,fairshare",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.components(separatedBy: "Never fit").count == 2, "\(r.stdout)")
        #expect(r.stdout.contains("Never fit on cluster:\n  2 × 64 GPUs requested; the cluster has 48"))
        #expect(!r.stdout.contains("Never fit on dgx-b200-x32"))
    }

    @Test func aGeneratedWorkloadGivesATableCSVAndAnHTMLReport() throws {
        let dir = Scratch.root.appendingPathComponent("sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let html = dir.appendingPathComponent("report.html").path
        let table = try CLI.run(["simulate", "--generate", "500", "--seed", "5", "--load", "0.8", "--report", html])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("GPU utilisation"))
        #expect(table.stdout.contains("wait p50 / p95 / p99"))
        #expect(table.stderr.contains("100%"))
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("<svg"))
        #expect(page.contains("<polyline"))
        #expect(!page.contains("http://") || !page.contains("<script"))  // self-contained: no scripts
        #expect(!page.contains("<script"))
        // Same seed, same figures: the CSV twice is byte-identical.
        let a = try CLI.run(["simulate", "--generate", "500", "--seed", "5", "--load", "0.8", "--csv"])
        let b = try CLI.run(["simulate", "--generate", "500", "--seed", "5", "--load", "0.8", "--csv"])
        #expect(a.status == 0)
        #expect(a.stdout == b.stdout)
        #expect(a.stdout.hasPrefix("scenario,policy,gpus,jobs,"))
    }

    @Test func aSweepSizesANodeTypeAndNamesTheSmallestSizeMeetingTheTarget() throws {
        let r = try CLI.run([
            "simulate", "--generate", "2000", "--seed", "2", "--load", "0.9", "--sweep", "dgx-h200=4..12:4",
            "--target", "p95-wait<=1h", "--json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        struct Out: Decodable {
            struct Run: Decodable {
                var scenario: String
                var gpus: Int
                var report: SimulationReport
            }
            var type: String
            var smallest: Int?
            var runs: [Run]
        }
        let out = try JSONDecoder().decode(Out.self, from: Data(r.stdout.utf8))
        #expect(out.runs.map(\.scenario) == ["dgx-h200=4", "dgx-h200=8", "dgx-h200=12"])
        #expect(out.runs.map(\.gpus) == [32, 64, 96])
        // The same arrivals at every size: more GPUs never make the p95 wait longer here, and the answer is
        // the first size whose p95 wait is within an hour.
        let p95 = out.runs.map(\.report.wait.p95)
        #expect(p95 == p95.sorted(by: >))
        let first = zip([4, 8, 12], p95).first { $0.1 <= 3600 }?.0
        #expect(out.smallest == first)
        #expect(out.runs.allSatisfy { $0.report.completed == 2000 })
    }

    @Test func theAlibabaTraceReportsPodsItCannotReplay() throws {
        let r = try CLI.run([
            "simulate", "--alibaba", "Tests/Fixtures/traces/alibaba-openb/openb_pod_list_default-slice.csv",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("not replayable (left out):"))
        #expect(r.stderr.contains("fractional GPU"))
    }

    @Test func aTracesOwnAccountsAreAddedToTheScenarioAndNamed() throws {
        // cluster.yaml declares ivi, etf, …; a published trace's tenants are its own (Philly's virtual
        // clusters). They run with a share of 1 and no limits, and stderr names them.
        let trace = try CLI.temp(
            "tenants.csv",
            """
            id,submit,duration,gpus,account
            a,0,100,8,vc-alpha
            b,0,100,8,ivi
            c,10,100,4,vc-beta

            """)
        let r = try CLI.run(["simulate", "--trace", trace, "--cluster", "cluster.yaml", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stderr.contains(
                "cluster.yaml: 2 accounts of the workload are not declared; simulated with share 1 and no limits: vc-alpha, vc-beta"
            ))
        struct Out: Decodable {
            struct Run: Decodable { var report: SimulationReport }
            var runs: [Run]
        }
        let report = try JSONDecoder().decode(Out.self, from: Data(r.stdout.utf8)).runs[0].report
        #expect(report.completed == 3)
        #expect(report.neverFits.isEmpty)
        #expect(report.accounts.map(\.name) == ["ivi", "vc-alpha", "vc-beta"])
    }

    @Test func jobsOutGivesEveryJobsTimesOutcomeAndPlacementToTheMillisecond() throws {
        // a takes all 48 GPUs from 0.25 to 100.75 s and gives them back 70 ms later; d (1 GPU, submitted
        // first) and b (8 GPUs) then start together at 100.82; d is cut at its 60 s limit; c never fits.
        let trace = try CLI.temp(
            "ms.csv",
            """
            id,submit,duration,time_limit,gpus,account
            a,0.25,100.5,3600,48,ivi
            b,10.125,20,3600,8,etf
            c,0,10,3600,64,etf
            d,1,400,60,1,ivi

            """)
        let out = Scratch.root.appendingPathComponent("files/jobs-out.csv").path
        let r = try CLI.run([
            "simulate", "--trace", trace, "--cluster", "cluster.yaml", "--policy", "fifo,backfill",
            "--hold-overhead", "70ms", "--jobs-out", out, "--report",
            out.replacingOccurrences(of: ".csv", with: ".html"),
        ])
        #expect(r.status == 0, "\(r.stderr)")
        // The report beside it links to it by name.
        let html = try String(contentsOfFile: out.replacingOccurrences(of: ".csv", with: ".html"), encoding: .utf8)
        #expect(html.contains("<a href=\"jobs-out.csv\">"))
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.first == "scenario,policy,id,submit,start,end,outcome,placement")
        #expect(lines.count == 1 + 2 * 4)
        for policy in ["fifo", "backfill"] {
            var rows: [String: [String]] = [:]
            for line in lines.dropFirst() {
                let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                if cells[1] == policy { rows[cells[2]] = cells }
            }
            #expect(rows["a"]?[3...6] == ["0.25", "0.25", "100.75", "completed"], "\(policy)")
            let whole = Set((rows["a"]?[7] ?? "").split(separator: ";").map(String.init))
            #expect(whole == Set((1...6).map { "dgx0\($0):0-7" }), "\(policy)")
            #expect(rows["b"]?[3...6] == ["10.125", "100.82", "120.82", "completed"], "\(policy)")
            #expect(rows["b"]?[7].wholeMatch(of: /dgx0[1-6]:0-7/) != nil, "\(policy)")
            #expect(rows["c"]?[3...7] == ["0", "", "", "never-fits", ""], "\(policy)")
            #expect(rows["d"]?[3...6] == ["1", "100.82", "160.82", "timeout"], "\(policy)")
            #expect(rows["d"]?[7].wholeMatch(of: /dgx0[1-6]:[0-7]/) != nil, "\(policy)")
            #expect(rows.values.allSatisfy { $0[0] == "cluster" })
        }
        let bad = try CLI.run(["simulate", "--trace", trace, "--hold-overhead", "soon"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--hold-overhead takes seconds (0.07) or milliseconds (70ms)"))
    }

    @Test func badInvocationsSayWhatIsWrong() throws {
        let none = try CLI.run(["simulate"])
        #expect(none.status != 0)
        #expect(none.stderr.contains("give one workload"))
        let load = try CLI.run(["simulate", "--generate", "10", "--load", "-1"])
        #expect(load.status != 0)
        #expect(load.stderr.contains("--load"))
        let policy = try CLI.run(["simulate", "--generate", "10", "--policy", "fastest"])
        #expect(policy.status != 0)
        #expect(policy.stderr.contains("unknown queue policy 'fastest'"))
        let placement = try CLI.run(["simulate", "--generate", "10", "--placement", "fastest"])
        #expect(placement.status != 0)
        #expect(placement.stderr.contains("unknown placement policy 'fastest'"))
        let window = try CLI.run(["simulate", "--generate", "10", "--maintenance", "dgx01@soon"])
        #expect(window.status != 0)
        #expect(window.stderr.contains("--maintenance takes NODES@START+DURATION"))
        let unknownNode = try CLI.run(["simulate", "--generate", "10", "--maintenance", "dgx99@1d+4h"])
        #expect(unknownNode.status != 0)
        #expect(unknownNode.stderr.contains("unknown node 'dgx99'"))
        let failures = try CLI.run(["simulate", "--generate", "10", "--failures", "often"])
        #expect(failures.status != 0)
        #expect(failures.stderr.contains("--failures takes mtbf="))
        let trace = try CLI.temp("bad.csv", "id,submit,duration,gpus\na,0,10,x\n")
        let sweep = try CLI.run(["simulate", "--generate", "10", "--sweep", "dgx-h300=1..4"])
        #expect(sweep.status != 0)
        #expect(sweep.stderr.contains("no node type 'dgx-h300'"))
        let target = try CLI.run(["simulate", "--generate", "10", "--sweep", "dgx-h200=1..4", "--target", "fast"])
        #expect(target.status != 0)
        #expect(target.stderr.contains("--target"))
        let bad = try CLI.run(["simulate", "--trace", trace])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("gpus"))
        #expect(bad.stderr.contains(":2:"))
    }
}

/// `schedctl simulate` comparing queue policies, with maintenance and failures from the command line and
/// from a scenario file.
@Suite struct SimulatePolicyCLITests {
    @Test func queuePoliciesSideBySideWithWindowsAndFailures() throws {
        let scenario = try CLI.temp(
            "today-with-maintenance.yaml",
            try String(contentsOfFile: "cluster.yaml", encoding: .utf8) + """

                simulation:
                  maintenance:
                    - { nodes: "dgx[05-06]", start: 1d, duration: 8h, every: 7d, reason: firmware }
                  failures:
                    mtbf: 20d
                    repair: 12h
                    seed: 3

                """)
        let r = try CLI.run([
            "simulate", "--generate", "400", "--seed", "2", "--load", "0.9", "--cluster", scenario,
            "--policy", "fifo,backfill,fairshare", "--csv",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0].hasSuffix("backfilled,unavailable_gpu_hours,node_failures,jobs_rerun,lost_gpu_hours"))
        let policies = lines.dropFirst().map { $0.split(separator: ",")[1] }
        #expect(policies == ["fifo", "backfill", "fairshare"])
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",").map(String.init)
            // The windows (2 nodes × 8 h, weekly) show as unavailable GPU-hours in every run.
            #expect((Double(cells[cells.count - 4]) ?? 0) > 0, "\(line)")
        }
        // The same run from the command line instead of the file gives the same windows.
        let flags = try CLI.run([
            "simulate", "--generate", "400", "--seed", "2", "--load", "0.9", "--policy", "backfill",
            "--maintenance", "dgx[05-06]@1d+8h/7d", "--failures", "mtbf=20d,repair=12h,seed=3", "--csv",
        ])
        #expect(flags.status == 0, "\(flags.stderr)")
        let a = lines[2].split(separator: ",").dropFirst(2)
        let b = flags.stdout.split(separator: "\n")[1].split(separator: ",").dropFirst(2)
        #expect(Array(a) == Array(b))
    }
}
