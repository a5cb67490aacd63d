import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import RasporedAPI
import Scheduler

/// Measures a running controller the way `../shared/anchors/slurm/bench.sh` measures Slurm:
/// submissions accepted per second (each acknowledged only once durable) from one loop and from several
/// concurrent ones, and the time from a burst of N jobs to all of them started (and completed).
///
///     raspored-bench URL TOKEN submit CLIENTS JOBS     accepted jobs/s
///     raspored-bench URL TOKEN burst JOBS GPUS          time to all started / completed, from t0
///
/// Jobs run `true` with a 1-minute limit. Figures go to stdout, one `key value` per line.
@main
struct RasporedBench {
    static func main() async throws {
        let args = CommandLine.arguments
        guard args.count >= 5 else {
            FileHandle.standardError.write(Data("usage: raspored-bench URL TOKEN (submit CLIENTS JOBS | burst JOBS GPUS)\n".utf8))
            exit(2)
        }
        let bench = RasporedBench(base: args[1], token: args[2])
        do {
            switch args[3] {
            case "submit":
                try await bench.submitRate(clients: Int(args[4]) ?? 1, jobs: Int(args.count > 5 ? args[5] : "") ?? 2000)
            case "burst":
                try await bench.burst(jobs: Int(args[4]) ?? 2000, gpus: Int(args.count > 5 ? args[5] : "") ?? 1)
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
            request: ResourceRequest(gpus: gpus, account: "ivi", time: .minutes(1)), name: "bench", command: ["true"], workdir: "/tmp",
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
            if allStarted == nil, (m["raspored_jobs_started_total"] ?? 0) - started0 >= Double(jobs) { allStarted = now }
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

    /// The controller's metrics, as `name{labels}` → value.
    func metrics() async throws -> [String: Double] {
        let response = try await client.execute(HTTPClientRequest(url: base + "/metrics"), timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 8 << 20))
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let v = Double(line[line.index(after: space)...]) else { continue }
            out[String(line[..<space])] = v
        }
        return out
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
