import Foundation
import Hummingbird
import HummingbirdTesting
import RasporedAPI
import Testing

@testable import SchedctlCore
@testable import Scheduler

/// Configuration, the output follower, and the client against a small HTTP server standing in for the
/// controller's `output` and `dryRun` endpoints.
@Suite struct ClientConfigTests {
    func configDir(_ yaml: String?) throws -> String {
        let dir = Scratch.root.appendingPathComponent("schedctl-config-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir + "/raspored", withIntermediateDirectories: true)
        if let yaml { try yaml.write(toFile: dir + "/raspored/config.yaml", atomically: true, encoding: .utf8) }
        return dir
    }

    @Test func defaultsWithNothingConfigured() throws {
        let c = try ClientConfig.resolve(controllerFlag: nil, tokenFlag: nil, environment: ["HOME": "/nonexistent"])
        #expect(c == ClientConfig(controller: "http://127.0.0.1:8420", token: nil))
        do {
            _ = try c.requireToken()
            Issue.record("a missing token was accepted")
        } catch {
            #expect("\(error)".hasPrefix("no token: pass --token, set RASPORED_TOKEN"))
            #expect("\(error)".contains("schedctl token create --user NAME"))
        }
    }

    @Test func fileThenEnvironmentThenFlags() throws {
        let xdg = try configDir("controller: http://ctl:9000\ntoken: from-file\n")
        var env = ["XDG_CONFIG_HOME": xdg]
        #expect(
            try ClientConfig.resolve(controllerFlag: nil, tokenFlag: nil, allowPlainHTTP: true, environment: env)
                == ClientConfig(controller: "http://ctl:9000", token: "from-file"))
        env["RASPORED_CONTROLLER"] = "http://env:1/"
        env["RASPORED_TOKEN"] = "from-env"
        #expect(
            try ClientConfig.resolve(controllerFlag: nil, tokenFlag: nil, allowPlainHTTP: true, environment: env)
                == ClientConfig(controller: "http://env:1", token: "from-env"))
        #expect(
            try ClientConfig.resolve(
                controllerFlag: "flag:2", tokenFlag: "from-flag", allowPlainHTTP: true, environment: env)
                == ClientConfig(controller: "http://flag:2", token: "from-flag"))
    }

    @Test func plainHTTPReachesLoopbackOnlyUnlessAllowed() throws {
        for url in ["http://ctl:9000", "http://10.0.0.5:8420", "http://127.example.org:1", "http://[fe80::1]:1"] {
            do {
                _ = try ClientConfig.resolve(controllerFlag: url, tokenFlag: nil, environment: [:])
                Issue.record("plain HTTP to \(url) was accepted")
            } catch {
                #expect("\(error)".hasPrefix("the controller URL \(url) is plain HTTP to another machine"))
                #expect("\(error)".hasSuffix("or give --allow-plain-http"))
            }
            #expect(
                try ClientConfig.resolve(controllerFlag: url, tokenFlag: nil, allowPlainHTTP: true, environment: [:])
                    .controller == url)
        }
        for url in [
            "http://127.0.0.1:8420", "http://127.1.2.3:1", "http://localhost:1", "http://[::1]:1",
            "http://[0:0:0:0:0:0:0:1]:1", "http://[::ffff:127.0.0.1]:1", "https://ctl:9000",
        ] {
            #expect(try ClientConfig.resolve(controllerFlag: url, tokenFlag: nil, environment: [:]).controller == url)
        }
        #expect(PlainHTTP.isLoopback(host: "LOCALHOST"))
        #expect(!PlainHTTP.isLoopback(host: "128.0.0.1"))
        #expect(!PlainHTTP.isLoopback(host: "0.0.0.0"))
        #expect(!PlainHTTP.isLoopback(host: "::"))
    }

    @Test func theCAFileComesFromTheFlagTheEnvironmentOrTheConfigFile() throws {
        let xdg = try configDir("controller: https://ctl:9000\nca: certs/ca.pem\n")
        var env = ["XDG_CONFIG_HOME": xdg]
        #expect(
            try ClientConfig.resolve(controllerFlag: nil, tokenFlag: nil, environment: env).caFile
                == xdg + "/raspored/certs/ca.pem")
        env["RASPORED_CA"] = "/etc/raspored/ca.pem"
        #expect(
            try ClientConfig.resolve(controllerFlag: nil, tokenFlag: nil, environment: env).caFile
                == "/etc/raspored/ca.pem")
        #expect(
            try ClientConfig.resolve(controllerFlag: nil, tokenFlag: nil, caFlag: "mine.pem", environment: env).caFile
                == "mine.pem")
        // A CA file that cannot be read stops the command, naming it.
        let config = try ClientConfig.resolve(controllerFlag: nil, tokenFlag: "t", environment: env)
        do {
            _ = try ControllerClient(config)
            Issue.record("a missing CA file was accepted")
        } catch {
            #expect("\(error)" == "the CA file /etc/raspored/ca.pem cannot be read")
        }
    }

    @Test func tokenFileIsReadRelativeToTheConfigFile() throws {
        let xdg = try configDir("tokenFile: my.token\n")
        try "rsp_secret\n".write(toFile: xdg + "/raspored/my.token", atomically: true, encoding: .utf8)
        #expect(
            try ClientConfig.resolve(controllerFlag: nil, tokenFlag: nil, environment: ["XDG_CONFIG_HOME": xdg]).token
                == "rsp_secret")
    }

    @Test func aWrongConfigFileIsAnErrorWithItsLine() throws {
        let xdg = try configDir("controller: http://x\ntokenfile: t\n")
        do {
            _ = try ClientConfig.resolve(controllerFlag: nil, tokenFlag: nil, environment: ["XDG_CONFIG_HOME": xdg])
            Issue.record("accepted a typo")
        } catch {
            #expect("\(error)".hasPrefix("\(xdg)/raspored/config.yaml:2: tokenfile: unknown field 'tokenfile'"))
        }
        #expect(throws: CLIError.self) {
            try ClientConfig.resolve(controllerFlag: "ftp://x", tokenFlag: nil, environment: [:])
        }
    }
}

/// Collects what the follower writes, for tests.
final class Sink: @unchecked Sendable {
    var bytes: [UInt8] = []
    var pauses = 0
    var offsets: [Int64] = []
}

@Suite struct OutputFollowerTests {
    /// A job whose output grows in three steps, then ends.
    func scripted(_ sink: Sink) -> OutputFollower {
        let steps: [(String, Bool)] = [("hel", false), ("", false), ("lo\n", false), ("", false), ("bye\n", true)]
        let all = steps.map(\.0).joined()
        return OutputFollower(
            fetch: { offset in
                sink.offsets.append(offset)
                let i = min(sink.offsets.count - 1, steps.count - 1)
                let held = steps[...i].map(\.0).joined()
                let bytes = Array(held.utf8.dropFirst(Int(offset)))
                return OutputChunk(
                    bytes: bytes, size: Int64(held.utf8.count), complete: steps[i].1 && held == all,
                    state: steps[i].1 ? "completed" : "running")
            },
            write: { sink.bytes += $0 },
            pause: { sink.pauses += 1 })
    }

    @Test func followReadsFromTheLastOffsetUntilComplete() async throws {
        let sink = Sink()
        let (offset, last) = try await scripted(sink).run(follow: true)
        #expect(String(decoding: sink.bytes, as: UTF8.self) == "hello\nbye\n")
        #expect(offset == 10)
        #expect(last.complete)
        #expect(last.state == "completed")
        #expect(sink.offsets == [0, 3, 3, 6, 6])
        // It pauses only after polls that brought nothing.
        #expect(sink.pauses == 2)
    }

    @Test func withoutFollowItReadsOnce() async throws {
        let sink = Sink()
        let (offset, _) = try await scripted(sink).run(follow: false)
        #expect(String(decoding: sink.bytes, as: UTF8.self) == "hel")
        #expect(offset == 3)
        #expect(sink.offsets == [0])
    }

    @Test func completeButBehindKeepsReading() async throws {
        // The controller says complete, but holds more than this answer carried: read on.
        let sink = Sink()
        let data = Array("abcdef".utf8)
        let follower = OutputFollower(
            fetch: { offset in
                sink.offsets.append(offset)
                let end = min(data.count, Int(offset) + 2)
                return OutputChunk(bytes: Array(data[Int(offset)..<end]), size: 6, complete: true)
            }, write: { sink.bytes += $0 }, pause: { sink.pauses += 1 })
        try await follower.run(follow: true)
        #expect(sink.bytes == data)
        #expect(sink.offsets == [0, 2, 4])
        #expect(sink.pauses == 0)
    }

    @Test func headersAreReadCaseInsensitively() {
        let chunk = OutputChunk(
            ControllerClient.Reply(
                status: 200,
                headers: [
                    "x-raspored-output-size": "12", "X-RASPORED-OUTPUT-COMPLETE": "true",
                    "x-raspored-job-state": "failed",
                ], body: Array("x".utf8)))
        #expect(chunk == OutputChunk(bytes: Array("x".utf8), size: 12, complete: true, state: "failed"))
    }
}

/// The real HTTP client against a stand-in for the two endpoints the controller is gaining
/// (`GET /v1/jobs/{id}/output`, `POST /v1/jobs?dryRun=true`).
@Suite struct ClientOverHTTPTests {
    static let output = Array("epoch 1 loss 0.9\nepoch 2 loss 0.5\ndone\n".utf8)

    final class Polls: @unchecked Sendable {
        var count = 0
        let lock = NSLock()
        func next() -> Int { lock.lock(); defer { lock.unlock() }; count += 1; return count }
    }

    func withStandIn(_ body: @Sendable (ControllerClient) async throws -> Void) async throws {
        let router = Router()
        let polls = Polls()
        router.get("/v1/jobs/7/output") { request, _ -> Response in
            guard request.headers[.authorization] == "Bearer rsp_test" else {
                return try Self.json(ErrorBody(error: "unknown token"), status: .unauthorized)
            }
            // Each poll the job has written 17 more bytes; the third poll finds it ended.
            let n = polls.next()
            let held = min(Self.output.count, n * 17)
            let offset = Int(request.uri.queryParameters.get("offset") ?? "0") ?? 0
            var response = Response(
                status: .ok, headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(bytes: Self.output[min(offset, held)..<held])))
            response.headers[.init(OutputHeaders.size)!] = "\(held)"
            response.headers[.init(OutputHeaders.state)!] = held == Self.output.count ? "completed" : "running"
            if held == Self.output.count { response.headers[.init(OutputHeaders.complete)!] = "true" }
            return response
        }
        router.get("/v1/jobs/8/output") { _, _ -> Response in
            try Self.json(ErrorBody(error: "job 8 belongs to bo"), status: .forbidden)
        }
        router.post("/v1/jobs") { request, _ -> Response in
            guard request.uri.queryParameters.get("dryRun") == "true" else {
                return try Self.json(ErrorBody(error: "expected a dry run"), status: .badRequest)
            }
            let text = String(buffer: try await request.body.collect(upTo: 1 << 20))
            let submitted = try SubmitRequest.parse(json: text)
            if submitted.request.gpus == 8 {
                return try Self.json(
                    DryRunReply(
                        allocation: nil, reason: "8 GPUs: no node has 8 free (most free: 4 on dgx01)",
                        estimatedStart: 4_102_444_800, partition: "gpu", account: "ivi", timeLimit: 3600))
            }
            return try Self.json(
                DryRunReply(
                    allocation: AllocationView(
                        nodes: [
                            NodeAllocationView(
                                node: "dgx01", gpus: [0, 1], cores: Array(0..<28), cpus: Array(0..<28),
                                numa: [0], memoryBytes: ["0": 480 << 30], nics: ["mlx5_0", "mlx5_3"],
                                scratchBytes: 0, exclusive: false)
                        ], gpuModel: "H200", sharedStorageBytes: 0), reason: nil, estimatedStart: nil,
                    partition: "gpu", account: "ivi", timeLimit: 86400))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body(ControllerClient(base: "http://127.0.0.1:\(client.port!)", token: "rsp_test"))
        }
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(value))))
    }

    @Test func logsFollowReadsEveryByteOnceAndStopsWhenComplete() async throws {
        try await withStandIn { client in
            let sink = Sink()
            var follower = OutputFollower.live(client, job: 7)
            follower.write = { sink.bytes += $0 }
            follower.pause = { sink.pauses += 1 }
            let (offset, last) = try await follower.run(follow: true)
            #expect(sink.bytes == Self.output)
            #expect(offset == Int64(Self.output.count))
            #expect(last.complete)
            #expect(last.state == "completed")
        }
    }

    @Test func logsRefusalIsTheControllersSentence() async throws {
        try await withStandIn { client in
            do {
                try await OutputFollower.live(client, job: 8).run(follow: false)
                Issue.record("no error")
            } catch let e as ControllerError {
                #expect(e.description == "job 8 belongs to bo")
                #expect(e.exitStatus == 1)
            }
            var wrong = client
            wrong.token = "rsp_other"
            do {
                try await OutputFollower.live(wrong, job: 7).run(follow: false)
                Issue.record("no error")
            } catch let e as ControllerError {
                #expect(e.description == "unknown token")
                #expect(e.exitStatus == 2)
            }
        }
    }

    @Test func dryRunShowsWhereOrWhyAndWhen() async throws {
        try await withStandIn { client in
            let fits: DryRunReply = try await client.post(
                "/v1/jobs?dryRun=true",
                body: SubmitRequest(request: ResourceRequest(gpus: 2), command: ["x"], workdir: "/w"))
            let text = SubmitCommand.text(fits)
            #expect(text.hasPrefix("Would run now (partition gpu, account ivi, time limit 1d):"))
            #expect(text.contains("dgx01   0-1   0-27     0  480 GiB"))
            #expect(text.contains("mlx5_0,mlx5_3"))
            let waits: DryRunReply = try await client.post(
                "/v1/jobs?dryRun=true",
                body: SubmitRequest(request: ResourceRequest(gpus: 8), command: ["x"], workdir: "/w"))
            let wait = SubmitCommand.text(waits, now: 4_102_444_800 - 7200)
            #expect(
                wait.hasPrefix("Would wait (partition gpu, account ivi, time limit 1h): 8 GPUs: no node has 8 free"))
            #expect(wait.hasSuffix("(in 2h)"))
        }
    }

    @Test func anUnreachableControllerIsAConnectionError() async throws {
        let client = ControllerClient(base: "http://127.0.0.1:1", token: "t")
        do {
            let _: NodeList = try await client.get("/v1/nodes")
            Issue.record("no error")
        } catch let e as ControllerError {
            #expect(e.description.hasPrefix("cannot reach the controller at http://127.0.0.1:1 ("))
            #expect(e.exitStatus == 2)
        }
    }
}
