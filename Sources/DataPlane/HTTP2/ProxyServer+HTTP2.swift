import Logging
import NIOCore
import NIOHTTP2
import Shared

extension ProxyServer {
    /// HTTP/2 on a TLS connection that negotiated `h2`: NIOHTTP2's handler with the limits of
    /// ``HTTP2Limits``, a stream per request, each with NIOHTTP2's HTTP/1 codec and a
    /// ``ProxyServerHandler`` (``ClientTransport/h2TLS``) that serves exactly one request; the
    /// connection-management handler closes the connection after `idle_timeout` without streams
    /// and answers a drain with GOAWAY (finishing the open streams), after
    /// ``HTTP2DrainNoticeHandler`` has given the client notice; ``HTTP2ConnectionHandler``
    /// counts the connection and closes it on a connection error.
    package static func configureHTTP2(
        _ channel: any Channel, states: LoopStates, environment: ProxyEnvironment, handshakeDeadline: Scheduled<Void>?,
        logger: Logger
    ) throws {
        let loop = states.state(on: channel.eventLoop)
        let readBatch = HTTP2ReadBatch()
        // Streams run on their connection's loop.
        let boundReadBatch = NIOLoopBound(readBatch, eventLoop: channel.eventLoop)
        let manager = NIOHTTP2ServerConnectionManagementHandler(
            eventLoop: channel.eventLoop,
            configuration: .init(
                maxIdleTime: ProxyConnectionStateMachine.amount(loop.limits.idleTimeout), maxAge: nil,
                maxGraceTime: nil, keepalive: nil))
        let http2 = NIOHTTP2Handler(
            mode: .server, eventLoop: channel.eventLoop, connectionConfiguration: HTTP2Limits.connection(loop.limits),
            streamConfiguration: HTTP2Limits.stream, streamDelegate: manager.http2StreamDelegate
        ) { stream in
            // The first stream ends the wait for the client's first request.
            handshakeDeadline?.cancel()
            return stream.eventLoop.makeCompletedFuture {
                let pipeline = stream.pipeline.syncOperations
                try pipeline.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                try pipeline.addHandler(
                    ProxyServerHandler(
                        loop: states.state(on: stream.eventLoop), environment: environment, logger: logger,
                        transport: .h2TLS, readBatch: boundReadBatch.value))
            }
        }
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(HTTP2DrainNoticeHandler())
        try pipeline.addHandler(http2)
        try pipeline.addHandler(manager)
        try pipeline.addHandler(HTTP2ConnectionHandler(loop: loop, readBatch: readBatch, logger: logger))
        // A connection accepted before the drain but negotiated after it missed the drain's event.
        if loop.draining { channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
    }
}
