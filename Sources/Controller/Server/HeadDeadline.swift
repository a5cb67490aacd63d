import HummingbirdCore
import Logging
import NIOCore

/// Closes a connection whose first request head has not arrived `limit` after it opened. A listener that
/// can upgrade to WebSocket reads the first head before Hummingbird's idle timeout is in place, so without
/// this a client that connects and says nothing would hold a connection for ever. Removes itself once a
/// head is complete (the blank line that ends it); later requests on the connection have the idle timeout.
final class HeadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let limit: TimeAmount
    private var deadline: Scheduled<Void>?
    /// The last bytes seen, so a head's end split across reads is found.
    private var tail: [UInt8] = []

    init(limit: TimeAmount) { self.limit = limit }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: limit) { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let seen = tail + buffer.readableBytesView.suffix(4096)
        let complete =
            seen.count >= 4
            && zip(seen.indices, seen.dropFirst(3).indices).contains { a, _ in
                seen[a] == 13 && seen[a + 1] == 10 && seen[a + 2] == 13 && seen[a + 3] == 10
            }
        tail = Array(seen.suffix(3))
        context.fireChannelRead(data)
        if complete {
            deadline?.cancel()
            deadline = nil
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }
}

/// A server child channel with `HeadDeadline` in front of `inner`'s handlers.
struct HeadDeadlineChannel<Inner: ServerChildChannel>: ServerChildChannel {
    let inner: Inner
    let limit: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Inner.Value> {
        let limit = self.limit
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(HeadDeadline(limit: limit))
        }.flatMap { inner.setup(channel: channel, logger: logger) }
    }

    func handle(value: Inner.Value, logger: Logger) async { await inner.handle(value: value, logger: logger) }
}

/// `inner` behind a `HeadDeadline` of `limit`.
func withHeadDeadline(_ inner: some ServerChildChannel, limit: TimeAmount) -> any ServerChildChannel {
    HeadDeadlineChannel(inner: inner, limit: limit)
}
