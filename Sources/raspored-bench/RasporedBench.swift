import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import RasporedAPI
import Scheduler

/// Measures a running controller the way `../shared/anchors/slurm/bench.sh` measures Slurm:
/// submissions accepted per second (each acknowledged only once durable) from one loop and from several
/// concurrent ones, and the time from a burst of N jobs to all of them started (and completed).
///
///     raspored-bench URL TOKEN submit CLIENTS JOBS     accepted jobs/s
///     raspored-bench URL TOKEN burst JOBS GPUS          time to all started / completed, from t0
///     raspored-bench URL TOKEN array TASKS              one array's acceptance, and how long other requests
///                                                       (GET /v1/nodes, one after another) waited meanwhile
///     raspored-bench URL TOKEN fill JOBS                JOBS one-GPU jobs as arrays of 10,000 tasks
///     raspored-bench URL TOKEN passes N                 N full scheduling passes (drain, resume dgx01): their
///                                                       mean time, from the controller's own histogram
///
/// Jobs run `true` with a 1-minute limit. Figures go to stdout, one `key value` per line.
@main
struct RasporedBench {
    static func main() async throws {
        let args = CommandLine.arguments
        guard args.count >= 5 else {
            FileHandle.standardError.write(
                Data("usage: raspored-bench URL TOKEN (submit CLIENTS JOBS | burst JOBS GPUS)\n".utf8))
            exit(2)
        }
        let bench = RasporedBench(base: args[1], token: args[2])
        do {
            switch args[3] {
            case "submit":
                try await bench.submitRate(clients: Int(args[4]) ?? 1, jobs: Int(args.count > 5 ? args[5] : "") ?? 2000)
            case "burst":
                try await bench.burst(jobs: Int(args[4]) ?? 2000, gpus: Int(args.count > 5 ? args[5] : "") ?? 1)
            case "array":
                try await bench.arrayStall(tasks: Int(args[4]) ?? 10_000)
            case "fill":
                try await bench.fill(jobs: Int(args[4]) ?? 20_000)
            case "passes":
                try await bench.passes(Int(args[4]) ?? 20)
            default:
                throw BenchError("unknown mode \(args[3])")
            }
        } catch {
            try? await bench.client.shutdown()
            FileHandle.standardError.write(Data("raspored-bench: \(error)\n".utf8))
            exit(1)
        }
        try await bench.client.shutdown()
    }

    let base: String
    let token: String
    let client = HTTPClient(eventLoopGroupProvider: .singleton)

    init(base: String, token: String) {
        self.base = base
        self.token = token
    }

    func job(gpus: Int) throws -> ByteBuffer {
        let s = SubmitRequest(
            request: ResourceRequest(gpus: gpus, account: "ivi", time: .minutes(1)), name: "bench", command: ["true"],
            workdir: "/tmp",
            output: "/dev/null")
        return ByteBuffer(bytes: [UInt8](try JSONEncoder().encode(s)))
    }

    func submit(_ body: ByteBuffer) async throws {
        var r = HTTPClientRequest(url: base + "/v1/jobs")
        r.method = .POST
        r.headers.add(name: "Authorization", value: "Bearer \(token)")
        r.headers.add(name: "Content-Type", value: "application/json")
        r.body = .bytes(body)
        let response = try await client.execute(r, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .created else {
            throw BenchError("submit: HTTP \(response.status.code): \(String(buffer: bytes))")
        }
    }

    /// `CLIENTS` concurrent loops, each submitting its share one after another.
    func submitRate(clients: Int, jobs: Int) async throws {
        let body = try job(gpus: 1)
        let t0 = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<clients {
                let share = jobs / clients + (c < jobs % clients ? 1 : 0)
                group.addTask { for _ in 0..<share { try await submit(body) } }
            }
            try await group.waitForAll()
        }
        let seconds = (ContinuousClock.now - t0).seconds
        print("clients \(clients)")
        print("jobs \(jobs)")
        print("seconds \(String(format: "%.3f", seconds))")
        print("accepted_per_second \(String(format: "%.0f", Double(jobs) / seconds))")
    }

    /// Submits JOBS jobs of GPUS GPUs from four loops, then watches `/metrics` until all have started and
    /// completed.
    func burst(jobs: Int, gpus: Int) async throws {
        let before = try await metrics()
        let started0 = before["raspored_jobs_started_total"] ?? 0
        let completed0 = before["raspored_jobs{state=\"completed\"}"] ?? 0
        let body = try job(gpus: gpus)
        let t0 = ContinuousClock.now
        let submitting = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for c in 0..<4 {
                    let share = jobs / 4 + (c < jobs % 4 ? 1 : 0)
                    group.addTask { for _ in 0..<share { try await submit(body) } }
                }
                try await group.waitForAll()
            }
            return (ContinuousClock.now - t0).seconds
        }
        var allStarted: Double?
        var allCompleted: Double?
        while allCompleted == nil {
            try await Task.sleep(for: .milliseconds(50))
            let m = try await metrics()
            let now = (ContinuousClock.now - t0).seconds
            if allStarted == nil, (m["raspored_jobs_started_total"] ?? 0) - started0 >= Double(jobs) {
                allStarted = now
            }
            if (m["raspored_jobs{state=\"completed\"}"] ?? 0) - completed0 >= Double(jobs) { allCompleted = now }
            if now > 600 { throw BenchError("not all started within 600 s: \(m)") }
        }
        let submitted = try await submitting.value
        print("jobs \(jobs)")
        print("gpus_per_job \(gpus)")
        print("submitted_seconds \(String(format: "%.3f", submitted))")
        print("all_started_seconds \(String(format: "%.3f", allStarted ?? 0))")
        print("all_completed_seconds \(String(format: "%.3f", allCompleted ?? 0))")
        print("start_rate_per_second \(String(format: "%.1f", Double(jobs) / (allStarted ?? 1)))")
        print("end_to_end_per_second \(String(format: "%.1f", Double(jobs) / (allCompleted ?? 1)))")
    }

    func array(tasks: Int) throws -> ByteBuffer {
        let s = SubmitRequest(
            request: ResourceRequest(gpus: 1, account: "ivi", time: .minutes(1)), name: "bench", command: ["true"],
            workdir: "/tmp", output: "/dev/null", array: try ArraySpec(parsing: "0-\(tasks - 1)"))
        return ByteBuffer(bytes: [UInt8](try JSONEncoder().encode(s)))
    }

    func request(_ method: HTTPMethod, _ path: String) async throws -> Duration {
        var r = HTTPClientRequest(url: base + path)
        r.method = method
        r.headers.add(name: "Authorization", value: "Bearer \(token)")
        let t0 = ContinuousClock.now
        let response = try await client.execute(r, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        guard response.status == .ok else {
            throw BenchError("\(path): HTTP \(response.status.code): \(String(buffer: bytes))")
        }
        return ContinuousClock.now - t0
    }

    /// One array of `tasks` one-GPU tasks, while another loop asks for the node list one request after another:
    /// how long the array took to be accepted, and how long the other requests waited meanwhile.
    func arrayStall(tasks: Int) async throws {
        let body = try array(tasks: tasks)
        let done = ManagedAtomicFlag()
        let probe = Task {
            var waits: [Double] = []
            while !done.isSet {
                waits.append(try await request(.GET, "/v1/nodes").seconds)
            }
            return waits.sorted()
        }
        try await Task.sleep(for: .milliseconds(200))
        let t0 = ContinuousClock.now
        try await submit(body)
        let accepted = (ContinuousClock.now - t0).seconds
        done.set()
        let waits = try await probe.value
        func q(_ p: Double) -> Double { waits.isEmpty ? 0 : waits[min(waits.count - 1, Int(Double(waits.count) * p))] }
        print("array_tasks \(tasks)")
        print("array_accepted_seconds \(String(format: "%.3f", accepted))")
        print("other_requests \(waits.count)")
        print("other_request_p50_ms \(String(format: "%.1f", q(0.5) * 1000))")
        print("other_request_p99_ms \(String(format: "%.1f", q(0.99) * 1000))")
        print("other_request_max_ms \(String(format: "%.1f", (waits.last ?? 0) * 1000))")
    }

    /// `jobs` one-GPU jobs, as arrays of at most 10,000 tasks.
    func fill(jobs: Int) async throws {
        var left = jobs
        let t0 = ContinuousClock.now
        while left > 0 {
            let n = min(left, 10_000)
            try await submit(try array(tasks: n))
            left -= n
        }
        print("filled_jobs \(jobs)")
        print("fill_seconds \(String(format: "%.3f", (ContinuousClock.now - t0).seconds))")
    }

    /// `n` full passes, each made by resuming a drained node; their mean from the pass histogram.
    func passes(_ n: Int) async throws {
        let before = try await metrics()
        for _ in 0..<n {
            var drain = HTTPClientRequest(url: base + "/v1/nodes/dgx01/drain")
            drain.method = .POST
            drain.headers.add(name: "Authorization", value: "Bearer \(token)")
            drain.headers.add(name: "Content-Type", value: "application/json")
            drain.body = .bytes(ByteBuffer(string: #"{"reason": "bench"}"#))
            let r = try await client.execute(drain, timeout: .seconds(60))
            _ = try await r.body.collect(upTo: 1 << 20)
            _ = try await request(.POST, "/v1/nodes/dgx01/resume")
        }
        let after = try await metrics()
        let count =
            (after["raspored_scheduling_pass_seconds_count"] ?? 0)
            - (before["raspored_scheduling_pass_seconds_count"] ?? 0)
        let sum =
            (after["raspored_scheduling_pass_seconds_sum"] ?? 0) - (before["raspored_scheduling_pass_seconds_sum"] ?? 0)
        print("pending_jobs \(Int(after["raspored_pending_jobs"] ?? 0))")
        print("passes \(Int(count))")
        print("pass_mean_ms \(String(format: "%.2f", count > 0 ? sum / count * 1000 : 0))")
    }

    /// The controller's metrics, as `name{labels}` → value.
    func metrics() async throws -> [String: Double] {
        let response = try await client.execute(HTTPClientRequest(url: base + "/metrics"), timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 8 << 20))
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let v = Double(line[line.index(after: space)...]) else {
                continue
            }
            out[String(line[..<space])] = v
        }
        return out
    }
}

/// A flag one task sets and another polls.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
