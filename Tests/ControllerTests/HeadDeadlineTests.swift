import NIOCore
import NIOEmbedded
import Testing

@testable import Controller

/// The first request head's deadline on the listeners that take WebSocket upgrades: a connection that
/// sends no complete head in time is closed; once a head is complete the deadline is gone, wherever in a
/// read its end falls.
struct HeadDeadlineTests {
    func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(HeadDeadline(limit: .seconds(30)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8420)).wait()
        return channel
    }

    func holdsDeadline(_ channel: EmbeddedChannel) -> Bool {
        (try? channel.pipeline.syncOperations.handler(type: HeadDeadline.self)) != nil
    }

    @Test func aConnectionWithoutAHeadIsClosedAtTheDeadline() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    @Test func aCompleteHeadLiftsTheDeadlineEvenWithABodyInTheSameRead() throws {
        let channel = try channel()
        let body = String(repeating: "x", count: 64 * 1024)
        try channel.writeInbound(ByteBuffer(string: "POST /v1/jobs HTTP/1.1\r\nHost: x\r\n\r\n" + body))
        #expect(!holdsDeadline(channel))
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
        _ = try channel.finish()
    }

    @Test func aHeadWhoseEndIsSplitBetweenReadsIsFound() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r"))
        #expect(holdsDeadline(channel))
        try channel.writeInbound(ByteBuffer(string: "\n"))
        #expect(!holdsDeadline(channel))
        _ = try channel.finish()
    }
}
