import DataPlane
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// Sits at the socket end of the client pipeline and notes the reads that get there: the proxy
/// lets a read through only while it wants more of the client's bytes. A harness that delivers
/// bytes only after a read models a socket (an `EmbeddedChannel` takes whatever is written).
package final class ReadRequests: ChannelOutboundHandler {
    package typealias OutboundIn = Any

    /// Reads that reached the socket end so far.
    package private(set) var count = 0
    private var outstanding = false

    package init() {}

    package func read(context: ChannelHandlerContext) {
        count += 1
        outstanding = true
        context.read()
    }

    /// Whether a read is outstanding; consumes it.
    package func take() -> Bool {
        defer { outstanding = false }
        return outstanding
    }
}

@available(*, unavailable)
extension ReadRequests: Sendable {}

/// Sits between NIO's request decoder and the proxy handler and keeps every request head the
/// decoder produced, in order.
package final class RequestHeadRecorder: ChannelInboundHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias InboundOut = HTTPServerRequestPart

    package private(set) var heads: [HTTPRequestHead] = []

    package init() {}

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) { heads.append(head) }
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension RequestHeadRecorder: Sendable {}

extension EmbeddedProxy {
    /// Notes the reads the proxy lets through to the client connection from now on.
    package func watchReads() throws -> ReadRequests {
        let reads = ReadRequests()
        try client.pipeline.syncOperations.addHandler(reads, position: .first)
        return reads
    }

    /// Records the request heads the proxy handler receives from now on.
    package func recordRequestHeads() throws -> RequestHeadRecorder {
        let recorder = RequestHeadRecorder()
        let pipeline = client.pipeline.syncOperations
        try pipeline.addHandler(recorder, position: .before(try pipeline.handler(type: ProxyServerHandler.self)))
        return recorder
    }
}
