import Agent
import Benchmark
import Foundation
import Glibc

/// What a job's start and end cost on a node: `/bin/true` launched through the agent's `JobLauncher` and
/// `raspored-exec`, waited for and forgotten, unconfined as the agent's user, in a cgroup of its own, and in a
/// cgroup as another user (`nobody`). The last two need root and a cgroup hierarchy; without them only the
/// first runs; `cgroup create+usage+remove` measures the confinement's own share. Build the shim first: `swift build -c release --product schedagent` in the repository.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal], timeUnits: .microseconds, maxDuration: .seconds(5), maxIterations: 2_000)

    guard let shim = shimPath() else {
        FileHandle.standardError.write(
            Data("LaunchBenchmarks: no raspored-exec in .build/release or .build/debug\n".utf8))
        return
    }
    let layout = geteuid() == 0 ? CgroupLayout.detect() : nil
    var cases: [(String, RunAs, String?, Bool)] = [("unconfined, as the agent", .agent, nil, false)]
    if layout != nil {
        cases.append(("own cgroup, as the agent", .agent, nil, true))
        cases.append(("own cgroup, as nobody", .submitter, "nobody", true))
    }
    if let layout {
        // The confinement alone: make a job's cgroup with its limits (cpuset, memory, pids, 254 device rules on
        // v1 or the BPF program on v2), then end, read and remove it, as a job's start and end do; and the
        // same without the device rules, for their share.
        for filter in [nil, Confinement.DeviceFilter.none] {
            let label = filter == Confinement.DeviceFilter.none ? ", no device rules" : ""
            Benchmark("cgroup create+usage+remove\(label)") { benchmark in
                let confinement = Confinement(
                    layout: layout, parent: "raspored-bench-\(getpid())/node", pidsMax: 64, deviceFilter: filter)
                defer { confinement.removeSubtree(levels: 2) }
                benchmark.startMeasurement()
                for i in benchmark.scaledIterations {
                    let cgroup = try! confinement.create(
                        runId: "c\(i)", cpus: nil, mems: nil, memoryLimit: 1 << 30, gpus: [2, 5])
                    Confinement.kill(cgroup)
                    blackHole(Confinement.usage(cgroup))
                    Confinement.remove(cgroup)
                }
                benchmark.stopMeasurement()
            }
        }
    }
    for (label, runAs, user, confined) in cases {
        Benchmark("launch+wait /bin/true, \(label)") { benchmark in
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
                "raspored-launch-\(UUID().uuidString)")
            let confinement =
                confined
                ? Confinement(layout: layout!, parent: "raspored-bench-\(getpid())/node", pidsMax: 64) : nil
            defer {
                confinement?.removeSubtree(levels: 2)
                try? FileManager.default.removeItem(at: dir)
            }
            let launcher = try! JobLauncher(
                stateDirectory: dir.path, shimExecutable: shim, host: "node", runAs: runAs, confinement: confinement)
            benchmark.startMeasurement()
            for i in benchmark.scaledIterations {
                var r = LaunchRequest(jobId: "j\(i)", name: "true", command: ["/bin/true"], workingDirectory: "/")
                r.output = "/dev/null"
                r.user = user
                r.memoryLimitBytes = 1 << 30
                r.gpus = [2, 5]
                r.environment = [:]
                _ = try! await launcher.launch(r)
                _ = await launcher.wait(r.jobId)
                await launcher.forget(r.jobId)
            }
            benchmark.stopMeasurement()
        }
    }
}

/// The repository's raspored-exec, release build first.
func shimPath() -> String? {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    return ["release", "debug"].map { root.appendingPathComponent(".build/\($0)/raspored-exec").path }
        .first { FileManager.default.isExecutableFile(atPath: $0) }
}
