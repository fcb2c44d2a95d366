import NIOCore
import NIOHTTP1
import NIOPosix

/// One persistent HTTP/1.1 connection used the way Python's `http.client`, curl and wrk use
/// one: a request, its response, the next request on the same connection, until the server
/// answers with `Connection: close`. It never checks on its own whether the server closed the
/// connection meanwhile, never retries, and has no idle timeout: a request written just as the
/// server closes the connection fails, exactly as it would for those clients.
final class KeepAliveConnection: Sendable {
    /// How one exchange ended, when it ended with a complete response.
    struct Response: Sendable {
        var status: Int
        /// Whether the response lets the connection be used again (no `Connection: close`).
        var keepAlive: Bool
    }

    /// The server closed the connection before the response was complete (or before it began).
    struct ClosedWithoutResponse: Error, CustomStringConvertible {
        var description: String { "connection closed without response" }
    }

    /// No complete response within the request's time.
    struct ResponseTimeout: Error, CustomStringConvertible {
        var description: String { "no complete response in time" }
    }

    private let channel: any Channel
    private let collector: NIOLoopBound<ResponseCollector>

    private init(channel: any Channel, collector: NIOLoopBound<ResponseCollector>) {
        self.channel = channel
        self.collector = collector
    }

    /// Opens a connection to `host:port`.
    static func open(
        host: String, port: Int, group: any EventLoopGroup, connectTimeout: TimeAmount
    ) async throws -> KeepAliveConnection {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector())
                }
            }
            .connect(host: host, port: port).get()
        let collector = try await channel.eventLoop.submit {
            NIOLoopBound(
                try channel.pipeline.syncOperations.handler(type: ResponseCollector.self), eventLoop: channel.eventLoop)
        }.get()
        return KeepAliveConnection(channel: channel, collector: collector)
    }

    /// Writes `head` (a request without a body) and waits for its complete response. The
    /// connection is not checked first: a server that closed it meanwhile fails the request,
    /// as a blocking client finds out by writing and then reading nothing.
    func exchange(_ head: HTTPRequestHead, timeout: TimeAmount) async throws -> Response {
        let channel = channel
        let collector = collector
        return try await channel.eventLoop.flatSubmit { () -> EventLoopFuture<Response> in
            let promise = channel.eventLoop.makePromise(of: Response.self)
            collector.value.expect(promise, timeout: timeout, channel: channel)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil)).whenFailure { error in
                collector.value.fail(error, channel: channel)
            }
            return promise.futureResult
        }.get()
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// Completes the exchange in progress with the response's status once its end arrives, or fails
/// it when the connection closes, errs or the time runs out first.
final class ResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private var pending: EventLoopPromise<KeepAliveConnection.Response>?
    private var timeout: Scheduled<Void>?
    private var head: HTTPResponseHead?
    private var closed = false

    func expect(
        _ promise: EventLoopPromise<KeepAliveConnection.Response>, timeout: TimeAmount, channel: any Channel
    ) {
        head = nil
        if closed {
            // Closed before this request: the write below fails and says so; make sure of it.
            promise.fail(KeepAliveConnection.ClosedWithoutResponse())
            return
        }
        pending = promise
        self.timeout = channel.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            fail(KeepAliveConnection.ResponseTimeout(), channel: channel)
        }
    }

    func fail(_ error: any Error, channel: any Channel) {
        guard let pending else { return }
        self.pending = nil
        timeout?.cancel()
        timeout = nil
        pending.fail(error)
        channel.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head, let pending else { return }
            self.pending = nil
            timeout?.cancel()
            timeout = nil
            pending.succeed(.init(status: Int(head.status.code), keepAlive: head.isKeepAlive))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        fail(KeepAliveConnection.ClosedWithoutResponse(), channel: context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error, channel: context.channel)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension ResponseCollector: Sendable {}
