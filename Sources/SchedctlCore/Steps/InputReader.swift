import Foundation
import Glibc
import NIOCore
import RasporedAPI
import WSClient

/// Copies schedctl's standard input to a step. Reads happen on a thread of their own (a blocking read must
/// not hold one of the few threads Swift's tasks share), one chunk at a time: the next read waits until
/// the chunk before it was written to the socket. End of input is sent as a stdin-end frame.
final class InputReader: Sendable {
    func forward(to outbound: WebSocketOutboundWriter) async {
        let (chunks, continuation) = AsyncStream<[UInt8]>.makeStream()
        let taken = DispatchSemaphore(value: 0)
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: StepFrame.maxData)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                continuation.yield(Array(buffer[0..<n]))
                taken.wait()
            }
            continuation.finish()
        }
        thread.start()
        for await chunk in chunks {
            do {
                try await outbound.write(.binary(ByteBuffer(bytes: StepFrame.stdin(chunk).encoded())))
            } catch {
                return
            }
            taken.signal()
        }
        guard !Task.isCancelled else { return }
        try? await outbound.write(.binary(ByteBuffer(bytes: StepFrame.stdinEnd.encoded())))
    }
}
