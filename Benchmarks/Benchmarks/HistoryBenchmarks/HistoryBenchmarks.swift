import Benchmark
import Controller
import Foundation
import RasporedAPI
import Scheduler

/// The controller's accounting over a year of a busy platform: a state store holding `HISTORY_BENCH_JOBS`
/// ended jobs (default 1,000,000: about 2,700 a day for 365 days on the platform's 48 GPUs, one in fifty
/// requeued once), read through the controller as `schedctl history` and `schedctl usage` read it, and a
/// controller's start on that store. The store is built on first use (a few minutes) in
/// `.build/history-bench-N` of the folder the benchmarks run in, and reused by later runs; remove it to
/// build it again.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock], timeUnits: .milliseconds, maxDuration: .seconds(10), maxIterations: 200)

    let count = historyJobs
    let admin = Principal(tokenId: 1, user: "admin", role: .admin)
    let user = Principal(tokenId: 2, user: "user17", role: .user)
    let week: Int64 = 7 * 86_400_000

    Benchmark("history: a week, first page of 1,000 (admin) @ \(count) jobs") { benchmark in
        for _ in benchmark.scaledIterations {
            let from = year.end - week
            blackHole(try! await year.core.history(HistoryFilter(sinceMillis: from, untilMillis: year.end), by: admin))
        }
    }
    Benchmark("history: a user's month, every page @ \(count) jobs") { benchmark in
        for _ in benchmark.scaledIterations {
            var filter = HistoryFilter(sinceMillis: year.end - 30 * 86_400_000, untilMillis: year.end)
            repeat {
                let page = try! await year.core.history(filter, by: user)
                blackHole(page.jobs.count)
                filter.afterId = page.next
            } while filter.afterId != nil
        }
    }
    Benchmark("history: one node's day (admin) @ \(count) jobs") { benchmark in
        for _ in benchmark.scaledIterations {
            var filter = HistoryFilter(sinceMillis: year.end - 86_400_000, untilMillis: year.end)
            filter.node = "dgx03"
            blackHole(try! await year.core.history(filter, by: admin))
        }
    }
    for (label, days) in [("a month", 30), ("a quarter", 91), ("the year", 365)] {
        Benchmark("usage: \(label) by account @ \(count) jobs") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(
                    try! await year.core.usage(
                        sinceMillis: year.end - Int64(days) * 86_400_000, untilMillis: year.end, by: .account,
                        principal: admin))
            }
        }
    }
    Benchmark(
        "controller start on the store @ \(count) jobs",
        configuration: .init(maxDuration: .seconds(20), maxIterations: 5)
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! year.reopen())
        }
    }
    Benchmark(
        "purge: 10,000 ended jobs per transaction @ \(count) jobs",
        configuration: .init(maxDuration: .seconds(10), maxIterations: 20)
    ) { benchmark in
        // On a copy: the store the other benchmarks read stays whole.
        let copy = year.directory + "-purge"
        try? FileManager.default.removeItem(atPath: copy)
        try! FileManager.default.copyItem(atPath: year.directory, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let store = try! StateStore(directory: copy, create: false)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            // The oldest first: each iteration deletes the next 10,000.
            blackHole(try! store.purgeHistory(endedBeforeMillis: year.end))
        }
        benchmark.stopMeasurement()
    }
}

let historyJobs = Int(ProcessInfo.processInfo.environment["HISTORY_BENCH_JOBS"] ?? "") ?? 1_000_000

/// The year's store, built (or found) on first use.
let year = HistoryYear(jobs: historyJobs, spec: try! ClusterSpec.load(file: repositoryFile("cluster.yaml")))

/// A file of the main package, found from this source file's location.
func repositoryFile(_ path: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(path).path
}

/// A store with a year of ended jobs, and a controller on it.
final class HistoryYear: Sendable {
    let directory: String
    let store: StateStore
    let core: ControllerCore
    let spec: ClusterSpec
    /// The year's first and last moments, in milliseconds since the epoch.
    let start: Int64
    let end: Int64

    init(jobs count: Int, spec: ClusterSpec) {
        self.spec = spec
        directory = FileManager.default.currentDirectoryPath + "/.build/history-bench-\(count)"
        end = 1_796_000_000_000
        start = end - 365 * 86_400_000
        // A store left whole by an earlier run is reused; one cut short is built again.
        let whole =
            (try? StateStore.holdsClusterState(directory: directory)) == true
            && (try? StateStore(directory: directory, create: false).jobCounts().values.reduce(0, +)) == count
        if whole {
            store = try! StateStore(directory: directory, create: false)
        } else {
            try? FileManager.default.removeItem(atPath: directory)
            store = try! StateStore(directory: directory, create: true)
            let began = Date()
            Self.fill(store, jobs: count, spec: spec, from: start, to: end)
            FileHandle.standardError.write(
                Data("HistoryBenchmarks: \(count) ended jobs written in \(Int(-began.timeIntervalSinceNow)) s\n".utf8))
        }
        let clock = end
        core = try! ControllerCore(
            spec: spec, store: store, settings: ControllerSettings(requireAgents: false), millisClock: { clock })
    }

    func reopen() throws -> ControllerCore {
        let clock = end
        return try ControllerCore(
            spec: spec, store: store, settings: ControllerSettings(requireAgents: false), millisClock: { clock })
    }

    /// Jobs of 1, 2, 4 or 8 GPUs by 200 users of the five institutes, submitted evenly over the year, waiting up
    /// to an hour and running 1 to 60 minutes, on allocations the engine made.
    static func fill(_ store: StateStore, jobs count: Int, spec: ClusterSpec, from: Int64, to: Int64) {
        var views: [Int: [AllocationView]] = [:]
        for gpus in [1, 2, 4, 8] {
            var state = ClusterState(spec: spec)
            while case let .success(d) = state.place(ResourceRequest(gpus: gpus)) {
                try! state.commit(d.allocation)
                views[gpus, default: []].append(spec.view(of: d.allocation))
            }
        }
        let accounts = spec.accounts.map(\.name)
        var rng = SeededRandom(seed: 7)
        let step = (to - from) / Int64(max(count, 1))
        var next = 0
        while next < count {
            let n = min(10_000, count - next)
            let submissions = (0..<n).map { i in
                let gpus = [1, 2, 4, 8][(next + i) % 4]
                let user = (next + i) % 200
                return [
                    JobSubmission(
                        name: "train", user: "user\(user)", account: accounts[user % accounts.count], partition: "gpu",
                        request: ResourceRequest(gpus: gpus), timeLimit: .hours(2), command: ["python", "train.py"],
                        workdir: "/home/user\(user)")
                ]
            }
            let groups = try! store.submit(groups: submissions, at: Timestamp(millis: from + Int64(next) * step))
            var ended: [Job] = []
            var runs: [JobRun] = []
            for (i, group) in groups.enumerated() {
                var job = group[0]
                let submit = from + Int64(next + i) * step
                job.submitMillis = submit
                let gpus = job.request.gpus ?? 1
                let a = views[gpus]!
                let allocation = a[(next + i) % a.count]
                var start = submit + Int64(rng.next() % 3_600_000)
                if (next + i) % 50 == 0 {
                    // Requeued once: a first run of a few minutes, lost with its node.
                    let lost = start + 60_000 + Int64(rng.next() % 600_000)
                    var first = JobRun(
                        jobId: job.id, run: 0, user: job.user, account: job.account, partition: job.partition,
                        gpus: gpus, gpuModel: "H200", nodes: allocation.nodes.map(\.node),
                        submitMillis: submit, startMillis: start, endMillis: lost, releasedMillis: lost,
                        outcome: .requeued)
                    first.reason = "requeued: node \(first.nodes[0]) lost"
                    runs.append(first)
                    job.requeueCount = 1
                    start = lost + 1_000
                }
                let stop = start + 60_000 + Int64(rng.next() % 3_540_000)
                job.state = (next + i) % 10 == 0 ? .failed : .completed
                job.startMillis = start
                job.endMillis = stop
                job.releasedMillis = stop + 50
                job.allocation = allocation
                job.exitCode = job.state == .completed ? 0 : 1
                job.cpuSeconds = Double(rng.next() % 100_000) / 10
                job.peakMemoryBytes = UInt64(rng.next() % (64 << 30))
                runs.append(
                    JobRun(
                        jobId: job.id, run: job.requeueCount, user: job.user, account: job.account,
                        partition: job.partition, gpus: gpus, gpuModel: "H200",
                        nodes: allocation.nodes.map(\.node), submitMillis: submit, startMillis: start, endMillis: stop,
                        releasedMillis: stop + 50, outcome: job.state == .completed ? .completed : .failed,
                        exitCode: job.exitCode, cpuSeconds: job.cpuSeconds, peakMemoryBytes: job.peakMemoryBytes))
                ended.append(job)
            }
            try! store.replace(ended, runs: runs)
            next += n
        }
    }
}
