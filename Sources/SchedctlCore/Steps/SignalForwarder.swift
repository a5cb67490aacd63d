import Foundation
import Glibc
import NIOCore
import RasporedAPI
import WSClient

/// Turns the signals schedctl gets during a step into frames: with a pty, SIGWINCH into the new window
/// size; SIGTERM and SIGHUP into the same signals to the step; without a pty, SIGINT (Ctrl-C) into SIGINT
/// to the step, and a second SIGINT within a second into SIGKILL.
final class SignalForwarder: @unchecked Sendable {
    private let pty: Bool
    private var sources: [any DispatchSourceSignal] = []
    private let lock = NSLock()
    private let numbers: [Int32]

    init(pty: Bool) {
        self.pty = pty
        numbers = pty ? [SIGWINCH, SIGTERM, SIGHUP] : [SIGINT, SIGTERM, SIGHUP]
    }

    func forward(to outbound: WebSocketOutboundWriter) async {
        let (caught, continuation) = AsyncStream<Int32>.makeStream()
        lock.withLock {
            for number in numbers {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { continuation.yield(number) }
                source.resume()
                sources.append(source)
            }
        }
        var lastInterrupt: ContinuousClock.Instant?
        for await number in caught {
            let frame: StepFrame
            switch number {
            case SIGWINCH:
                guard let size = LocalTerminal.size() else { continue }
                frame = .resize(rows: size.rows, cols: size.cols)
            case SIGINT:
                if let last = lastInterrupt, ContinuousClock.now - last < .seconds(1) {
                    printStderr("schedctl: killing the step")
                    frame = .signal(SIGKILL)
                } else {
                    printStderr("schedctl: interrupt (press Ctrl-C again within 1 s to kill the step)")
                    lastInterrupt = .now
                    frame = .signal(SIGINT)
                }
            default:
                frame = .signal(number)
            }
            try? await outbound.write(.binary(ByteBuffer(bytes: frame.encoded())))
        }
    }

    /// Puts the signals back as they were (default actions).
    func stop() {
        lock.withLock {
            for source in sources { source.cancel() }
            sources = []
            for number in numbers { signal(number, SIG_DFL) }
        }
    }
}
