import Foundation
import Glibc
import HTTPTypes
import Logging
import NIOCore
import NIOSSL
import RasporedAPI
import WSClient

/// One step as schedctl drives it (`schedctl run`, `exec`, `attach`): opens the controller's
/// `GET /v1/jobs/{id}/steps/stream` WebSocket, sends the start frame, then copies its own standard input to
/// the step and the step's output to its own standard output and error until the exit frame.
///
/// - `--pty`: the local terminal goes raw (keys, Ctrl-C included, are the remote terminal's to interpret),
///   its size is sent at start and on every SIGWINCH, and it is restored at the end.
/// - Without: SIGINT is sent to the step as SIGINT; a second one within a second ends the step (SIGKILL,
///   and the connection is closed). SIGTERM and SIGHUP end it too.
/// Input is read one chunk at a time, each sent before the next read; output is written as it comes, so a
/// slow terminal slows the step rather than filling memory.
struct StepSession {
    var base: String
    var token: String
    var tls: TLSConfiguration?
    var jobId: Int64
    var request: StepRequest
    /// Says "step 42.0 on dgx01" on stderr once started.
    var verbose = false

    /// What ended the stream.
    enum Ending: Sendable {
        case exited(StepExit)
        case failed(String)
    }

    var url: String {
        let socket =
            base.hasPrefix("https://")
            ? "wss://" + base.dropFirst("https://".count) : "ws://" + base.dropFirst("http://".count)
        return "\(socket)/v1/jobs/\(jobId)/steps/stream"
    }

    func run() async throws -> Ending {
        var configuration = WebSocketClientConfiguration(
            maxFrameSize: 1 << 16, autoPing: .enabled(timePeriod: .seconds(30)))
        configuration.additionalHeaders[.authorization] = "Bearer \(token)"
        var logger = Logger(label: "schedctl.step")
        logger.logLevel = .critical
        let terminal = request.pty && LocalTerminal.isTerminal(STDIN_FILENO) ? LocalTerminal() : nil
        let ending = EndingBox()
        let request = request
        let verbose = verbose
        do {
            try await WebSocketClient.connect(
                url: url, configuration: configuration, tlsConfiguration: tls, logger: logger
            ) { inbound, outbound, _ in
                // A controller that refuses the step (not your job, not running) answers with a failed frame and
                // closes, which may be before the start frame is written: its reason is read either way.
                // Split into frames of at most maxFrameSize: a start frame with srun's environment is often
                // larger than one.
                try? await outbound.writeBinaryMessage(ByteBuffer(bytes: StepFrame.start(request).encoded()))
                await Self.serve(
                    inbound: inbound, outbound: outbound, terminal: terminal, pty: request.pty, verbose: verbose,
                    ending: ending)
                try? await outbound.close(.normalClosure, reason: nil)
            }
        } catch {
            terminal?.restore()
            throw CLIError(
                "cannot open the step's stream at \(url): \(error) (is the token right, and the job running?)",
                status: ExitStatus.usage)
        }
        terminal?.restore()
        return ending.value ?? .failed("the controller closed the step's stream")
    }

    /// The frames of one stream until its exit (or failure) frame, or its end.
    private static func serve(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, terminal: LocalTerminal?, pty: Bool,
        verbose: Bool, ending: EndingBox
    ) async {
        let signals = SignalForwarder(pty: pty)
        let input = InputReader()
        var senders: [Task<Void, Never>] = []
        defer {
            for task in senders { task.cancel() }
            signals.stop()
        }
        do {
            for try await message in inbound.messages(maxSize: StepFrame.maxMessage) {
                guard case .binary(let buffer) = message,
                    let frame = try? StepFrame(decoding: buffer.readableBytesView)
                else { continue }
                switch frame {
                case .started(let s):
                    if verbose {
                        printStderr("schedctl: step \(s.jobId).\(s.step) on \(s.nodes.joined(separator: ","))")
                    }
                    terminal?.makeRaw()
                    if pty, let size = LocalTerminal.size() {
                        try? await outbound.write(
                            .binary(ByteBuffer(bytes: StepFrame.resize(rows: size.rows, cols: size.cols).encoded())))
                    }
                    senders.append(Task { await input.forward(to: outbound) })
                    senders.append(Task { await signals.forward(to: outbound) })
                case .stdout(let bytes): writeAll(STDOUT_FILENO, bytes)
                case .stderr(let bytes): writeAll(STDERR_FILENO, bytes)
                case .exit(let exit):
                    ending.value = .exited(exit)
                    return
                case .failed(let why):
                    ending.value = .failed(why)
                    return
                default: continue
                }
            }
        } catch {}
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
    }
}

/// Where the stream's handler leaves how it ended.
final class EndingBox: @unchecked Sendable {
    private let lock = NSLock()
    private var ending: StepSession.Ending?
    var value: StepSession.Ending? {
        get { lock.withLock { ending } }
        set { lock.withLock { ending = newValue } }
    }
}
