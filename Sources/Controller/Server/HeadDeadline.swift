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
    /// The last four bytes seen (across reads, so a head's end split between two is found).
    private var window: UInt32 = 0

    init(limit: TimeAmount) { self.limit = limit }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: limit) { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var complete = false
        for byte in unwrapInboundIn(data).readableBytesView {
            window = window << 8 | UInt32(byte)
            if window == 0x0D0A_0D0A {  // "\r\n\r\n"
                complete = true
                break
            }
        }
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
