import NIOCore

/// Tells an HTTP/2 client that the replica drains before NIOHTTP2 starts refusing its streams.
///
/// Once NIOHTTP2 has sent any GOAWAY, even the first of its two (last stream id 2³¹−1), it
/// answers every new stream with `REFUSED_STREAM`, including those the client opened before the
/// GOAWAY reached it. Clients that do not retry refused streams (AsyncHTTPClient, h2load) then
/// lose those requests. So this handler, below NIOHTTP2 in the pipeline, answers a drain
/// (``ChannelShouldQuiesceEvent``) by writing that first GOAWAY itself, as raw bytes NIOHTTP2 does
/// not see, and passes the drain on to NIOHTTP2 only after ``grace``: streams the client opens
/// meanwhile are still served, and by then it has stopped opening them. NIOHTTP2's connection
/// management then runs its usual double GOAWAY and closes the connection when its streams end.
package final class HTTP2DrainNoticeHandler: ChannelInboundHandler {
    package typealias InboundIn = ByteBuffer
    package typealias InboundOut = ByteBuffer
    package typealias OutboundOut = ByteBuffer

    /// How long a client has to see the GOAWAY before new streams are refused.
    package static let grace = TimeAmount.seconds(1)

    /// GOAWAY on stream 0: last stream id 2³¹−1, `NO_ERROR`, no debug data.
    static let goAwayFrame: [UInt8] = [0, 0, 8, 0x7, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]

    private var noticeSent = false
    private var handOver: Scheduled<Void>?

    package init() {}

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard !noticeSent else { return }
        noticeSent = true
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: Self.goAwayFrame)), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        handOver = context.eventLoop.scheduleTask(in: Self.grace) {
            bound.value.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }

    package func channelInactive(context: ChannelHandlerContext) {
        handOver?.cancel()
        handOver = nil
        context.fireChannelInactive()
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        handOver?.cancel()
        handOver = nil
    }
}

@available(*, unavailable)
extension HTTP2DrainNoticeHandler: Sendable {}
