import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTPTypes

/// How a listener of the controller treats its connections, so that slow or idle clients cannot hold it:
/// a request's head must arrive within `idleSeconds` of the connection opening (or of the previous answer
/// on a kept-alive connection), its body within `bodySeconds` of its head, and at most `maxConnections`
/// are open at once (further ones wait in the kernel's backlog until one closes).
public struct ListenerLimits: Hashable, Sendable {
    public var idleSeconds: Double
    public var bodySeconds: Double
    public var maxConnections: Int

    public init(idleSeconds: Double = 30, bodySeconds: Double = 60, maxConnections: Int = 4_096) {
        self.idleSeconds = idleSeconds
        self.bodySeconds = bodySeconds
        self.maxConnections = maxConnections
    }

    /// The HTTP/1.1 server with these timeouts.
    public var server: HTTPServerBuilder {
        let body = TimeAmount.nanoseconds(Int64(bodySeconds * 1e9))
        return .http1(
            configuration: .init(
                additionalChannelHandlers: [RequestBodyDeadline(limit: body)],
                idleTimeout: .nanoseconds(Int64(idleSeconds * 1e9))))
    }

    /// The same server, also taking WebSocket upgrades that `webSocketRouter` accepts (the step streams:
    /// docs/api.md, "Steps"). The first request's head must come within `idleSeconds` (`HeadDeadline`);
    /// an upgraded connection is pinged every 30 s and closed when the pong does not come.
    public func server(webSocketRouter: Router<APIRequestContext>) -> HTTPServerBuilder {
        let body = TimeAmount.nanoseconds(Int64(bodySeconds * 1e9))
        let idle = TimeAmount.nanoseconds(Int64(idleSeconds * 1e9))
        let sockets = webSocketRouter.buildResponder()
        return HTTPServerBuilder { responder in
            withHeadDeadline(
                HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: sockets,
                    configuration: .init(
                        http1: .init(additionalChannelHandlers: [RequestBodyDeadline(limit: body)], idleTimeout: idle),
                        ws: .init(maxFrameSize: 1 << 16, autoPing: .enabled(timePeriod: .seconds(30))))),
                limit: idle)
        }
    }

    /// An application configuration serving `address` with this connection cap.
    public func configuration(_ address: BindAddress, serverName: String, logger: Logger) -> ApplicationConfiguration {
        ApplicationConfiguration(
            address: address, serverName: serverName,
            availableConnectionsDelegate: .maximum(maxConnections, logger: logger))
    }
}

/// Closes a connection whose request body has not ended `limit` after its head: a client trickling a body
/// would otherwise hold a handler (and its memory) for as long as it likes.
final class RequestBodyDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    let limit: TimeAmount
    private var deadline: Scheduled<Void>?

    init(limit: TimeAmount) { self.limit = limit }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            let channel = context.channel
            deadline = context.eventLoop.scheduleTask(in: limit) { channel.close(promise: nil) }
        case .end:
            deadline?.cancel()
            deadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }
}
