import NIOCore
import NIOHTTP1

/// Tells each client of a draining replica that its connection ends, before ending it. Once the
/// replica drains (``ChannelShouldQuiesceEvent``), the next final response head written on the
/// connection says `Connection: close` and the connection closes as soon as that response is
/// written: the response in progress if its head has not gone out yet, else the next request's.
/// A response whose head already went out promising keep-alive completes and the connection stays
/// open, so that its client's next request gets the `Connection: close` answer instead of a
/// closed socket; an idle connection stays open until its next request or the drain deadline.
///
/// It sits between NIO's HTTP/1.1 codec and ``ProxyServerHandler`` and takes the quiesce event
/// for itself, so the close on drain does not depend on how the proxy handler frames responses.
package final class DrainCloseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias InboundOut = HTTPServerRequestPart
    package typealias OutboundIn = HTTPServerResponsePart
    package typealias OutboundOut = HTTPServerResponsePart

    private var draining = false
    /// The response being written says `Connection: close`: close once its end is written.
    private var closeAfterResponse = false
    /// The connection switched protocols: no HTTP response heads any more.
    private var upgraded = false

    package init() {}

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            draining = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            if head.status == .switchingProtocols { upgraded = true }
            // Informational heads (100 Continue) come before the final one.
            guard !upgraded, head.status.code >= 200 else {
                context.write(data, promise: promise)
                return
            }
            // A head that already says close is the proxy handler's to close after.
            if draining, head.isKeepAlive {
                head.headers.replaceOrAdd(name: "connection", value: "close")
                closeAfterResponse = true
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            guard closeAfterResponse else {
                context.write(data, promise: promise)
                return
            }
            closeAfterResponse = false
            let written = promise ?? context.eventLoop.makePromise()
            context.write(data, promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension DrainCloseHandler: Sendable {}
