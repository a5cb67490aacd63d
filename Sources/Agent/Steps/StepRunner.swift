import Foundation
import Glibc
import HTTPTypes
import Logging
import NIOCore
import NIOSSL
import RasporedAPI
import Subprocess
import WSClient

/// Starts the steps the controller orders (`AgentOrders.steps`): for each, dials back the controller's
/// `GET /v1/agents/{node}/steps/{job}/{step}/stream` WebSocket with the agent's token, starts the step's
/// process in its run's allocation (`StepProcess`), and pumps: the process's output to the socket, the
/// socket's stdin, resize and signal frames to the process, and at the end one exit frame.
///
/// Output is read only as fast as the socket takes it (one frame written before the next read), so a slow
/// client holds back the step's writes rather than growing a buffer here. A step ends when its process
/// ends: what is left of its process group is killed, and its output is read for at most `drainSeconds`
/// more. When the socket closes first (the client went away), the step's group gets SIGHUP and SIGTERM,
/// and SIGKILL `hangUpGrace` later. When its run ends, its steps are killed (`runEnded`).
public actor StepRunner {
    /// Where and as whom the agent dials back.
    public struct Endpoint: Sendable {
        /// The controller's base URL (`http(s)://…`), as the agent's other calls use it.
        public var baseURL: String
        public var node: String
        public var token: String
        public var tls: TLSConfiguration?

        public init(baseURL: String, node: String, token: String, tls: TLSConfiguration? = nil) {
            var base = baseURL
            while base.hasSuffix("/") { base.removeLast() }
            self.baseURL = base
            self.node = node
            self.token = token
            self.tls = tls
        }

        /// The step's socket URL: `ws://` for `http://`, `wss://` for `https://`.
        func url(_ order: StepOrder) -> String {
            let base =
                baseURL.hasPrefix("https://")
                ? "wss://" + baseURL.dropFirst("https://".count) : "ws://" + baseURL.dropFirst("http://".count)
            return "\(base)/v1/agents/\(node)/steps/\(order.jobId)/\(order.step)/stream"
        }
    }

    static let drainSeconds = 2.0
    static let hangUpGrace = Duration.seconds(5)

    public nonisolated let endpoint: Endpoint
    private let launcher: JobLauncher
    private let logger: Logger
    /// Steps being served, by key, with their run and their tasks once started.
    private var serving: [String: (runId: String, process: StepProcess?)] = [:]
    /// Steps served before, most recent last (bounded): an order repeated after its step ended is not run
    /// again.
    private var served: [String] = []
    private var servedSet: Set<String> = []
    static let servedMemory = 4096
    /// How long a step waits for its run's process when the run is still being launched.
    static let runWait = Duration.seconds(15)

    /// This node's cores, each core's CPUs (OS indexes) in the node's order: what the tasks of a step share
    /// (`StepRequest.shares`).
    private let cores: [[Int]]

    /// The directory of `srun` and `scontrol`, kept on a step's PATH (`JobEnvironment.stepEnvironment`).
    private let tools: String?

    /// `cores` as discovery found them; empty treats each of a run's CPUs as a core.
    public init(
        endpoint: Endpoint, launcher: JobLauncher, logger: Logger, cores: [[Int]] = [], tools: String? = nil
    ) {
        self.endpoint = endpoint
        self.launcher = launcher
        self.logger = logger
        self.cores = cores
        self.tools = tools
    }

    /// `cpus`, a run's CPUs, grouped by core in the node's order (a CPU of no known core is one of its own).
    func cores(of cpus: [Int]) -> [[Int]] {
        let mine = Set(cpus)
        let known = cores.map { $0.filter(mine.contains) }.filter { !$0.isEmpty }
        let covered = Set(known.flatMap { $0 })
        return known + cpus.filter { !covered.contains($0) }.map { [$0] }
    }

    /// Starts each ordered step not already being served.
    public func start(_ orders: [StepOrder]) {
        for order in orders where serving[order.key] == nil && !servedSet.contains(order.key) {
            serving[order.key] = (order.runId, nil)
            logger.info("starting step \(order.key) in run \(order.runId): \(order.command.joined(separator: " "))")
            Task { await self.serve(order) }
        }
    }

    /// Kills every step of run `runId` (the run ended: nothing of it may stay).
    public func runEnded(_ runId: String) {
        for (_, step) in serving where step.runId == runId { step.process?.signal(SIGKILL) }
    }

    /// Sends `signal` to every step of run `runId` running here (each leads its own process group).
    public func signal(_ runId: String, _ signal: Int32) {
        for (_, step) in serving where step.runId == runId { step.process?.signal(signal) }
    }

    private func started(_ key: String, process: StepProcess) { serving[key]?.process = process }
    private func ended(_ key: String) {
        serving[key] = nil
        served.append(key)
        servedSet.insert(key)
        if served.count > Self.servedMemory { servedSet.remove(served.removeFirst()) }
    }

    /// The run's record once its process runs (it may still be launching when a step is ordered).
    private func runningRecord(_ runId: String) async -> JobRecord? {
        let deadline = ContinuousClock.now + Self.runWait
        while true {
            let record = await launcher.record(runId)
            if let record, record.state != .running || record.pid != nil { return record }
            guard ContinuousClock.now < deadline else { return record }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    private func serve(_ order: StepOrder) async {
        defer { Task { await self.ended(order.key) } }
        var configuration = WebSocketClientConfiguration(
            maxFrameSize: 1 << 16, autoPing: .enabled(timePeriod: .seconds(30)))
        configuration.additionalHeaders[.authorization] = "Bearer \(endpoint.token)"
        do {
            try await WebSocketClient.connect(
                url: endpoint.url(order), configuration: configuration, tlsConfiguration: endpoint.tls, logger: logger
            ) { inbound, outbound, _ in
                await self.run(order, inbound: inbound, outbound: outbound)
            }
        } catch {
            logger.error("step \(order.key): cannot connect to the controller: \(error)")
        }
    }

    private func run(_ order: StepOrder, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let exit: StepExit
        var running: StepProcess?
        do {
            let failureFile = launcher.stateDirectory.execFailureFile("\(order.runId).step\(order.step)")
            guard let record = await runningRecord(order.runId) else {
                throw LaunchError("run \(order.runId) is not on this node")
            }
            let process = try await StepProcess.start(
                order, on: endpoint.node, in: record, cores: cores(of: record.cpus), shim: launcher.shimExecutable,
                runAs: launcher.runAs, failureFile: failureFile, tools: tools)
            running = process
            started(order.key, process: process)
            exit = try await process.withStreams { outputs, input in
                await Self.pump(process, outputs: outputs, input: input, inbound: inbound, outbound: outbound)
            }
            process.close()
        } catch {
            // Tasks that started before the failure go with it.
            running?.signal(SIGKILL)
            logger.error("step \(order.key) could not start: \(error)")
            await Self.send(.exit(StepExit(exitCode: 127, reason: "\(error)")), outbound)
            return
        }
        logger.info("step \(order.key) ended: status \(exit.status)\(exit.reason.map { ", \($0)" } ?? "")")
        await Self.send(.exit(exit), outbound)
    }

    private static func send(_ frame: StepFrame, _ outbound: WebSocketOutboundWriter) async {
        try? await outbound.write(.binary(ByteBuffer(bytes: frame.encoded())))
    }

    /// Pumps until the process has ended and its output is read (or `drainSeconds` have passed since).
    private static func pump(
        _ process: StepProcess, outputs: [(stream: NIOAsyncChannelInboundStream<ByteBuffer>, stderr: Bool)],
        input: NIOAsyncChannelOutboundWriter<ByteBuffer>, inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter
    ) async -> StepExit {
        let reading = Task {
            await withTaskGroup(of: Void.self) { group in
                for output in outputs {
                    group.addTask {
                        do {
                            for try await buffer in output.stream {
                                for frame in StepFrame.chunks(buffer.readableBytesView, stderr: output.stderr) {
                                    try await outbound.write(.binary(ByteBuffer(bytes: frame.encoded())))
                                }
                            }
                        } catch {}  // a pty's master reads EIO once every slave is closed: the end
                    }
                }
            }
        }
        let writing = Task {
            // Whether the step still reads its input: once its reader has gone (the first task ended or closed
            // its stdin), the rest of the input is dropped, and the other tasks run on.
            var reading = true
            do {
                for try await message in inbound.messages(maxSize: StepFrame.maxMessage) {
                    guard case .binary(let buffer) = message,
                        let frame = try? StepFrame(decoding: buffer.readableBytesView)
                    else { continue }
                    switch frame {
                    case .stdin(let bytes) where reading:
                        do { try await input.write(ByteBuffer(bytes: bytes)) } catch { reading = false }
                    case .stdinEnd where reading:
                        // A terminal's end of input is its EOF character; a pipe's, closing it.
                        if process.terminal != nil {
                            do { try await input.write(ByteBuffer(bytes: [4])) } catch { reading = false }
                        } else {
                            input.finish()
                        }
                    case .resize(let rows, let cols): process.resize(rows: rows, cols: cols)
                    case .signal(let number) where StepFrame.forwardable.contains(number): process.signal(number)
                    default: continue
                    }
                }
            } catch {}
            guard !Task.isCancelled else { return }
            // The client (or the controller) went away: the step ends with it.
            process.signal(SIGHUP)
            process.signal(SIGCONT)
            process.signal(SIGTERM)
            try? await Task.sleep(for: hangUpGrace)
            process.signal(SIGKILL)
        }
        let exit = await process.status.value
        // The step is over: nothing it started may outlive it in its group.
        process.signal(SIGKILL)
        let drained = Task {
            await reading.value
            return true
        }
        let deadline = Task {
            try? await Task.sleep(for: .seconds(drainSeconds))
            reading.cancel()
        }
        _ = await drained.value
        deadline.cancel()
        writing.cancel()
        return exit
    }
}
