import Logging
import NIOCore
import NIOHTTP2

/// The end of an HTTP/2 connection's pipeline: counts the connection in its loop's active
/// connections (its streams' handlers do not), takes the connection-level frames nothing else
/// wants, lets the streams waiting for the end of a read go on (``HTTP2ReadBatch``), and closes
/// the connection on an error NIOHTTP2 reports for it.
final class HTTP2ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame

    private let loop: LoopState
    private let readBatch: HTTP2ReadBatch
    private let logger: Logger
    private var counted = false

    init(loop: LoopState, readBatch: HTTP2ReadBatch, logger: Logger) {
        self.loop = loop
        self.readBatch = readBatch
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { count() }
    }

    func channelActive(context: ChannelHandlerContext) {
        count()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        uncount()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        uncount()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // SETTINGS, PING, GOAWAY and PRIORITY frames: NIOHTTP2 has acted on them already.
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Every frame of the read is processed: streams reset in it are closed by now.
        readBatch.completed()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("HTTP/2 error", metadata: ["error": "\(error)"])
        guard Self.endsConnection(error) else { return }
        // NIOHTTP2 has written GOAWAY; the close waits a loop tick so that it is flushed first.
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.execute { bound.value.close(promise: nil) }
    }

    /// Whether `error` ends the connection: a flood NIOHTTP2 detected (rapid reset, control
    /// frames, empty DATA, CONTINUATION, stream errors, glitches), bytes that are not HTTP/2, or
    /// a failure below HTTP/2 (TLS, I/O). The other NIOHTTP2 errors concern one stream, which
    /// NIOHTTP2 has reset already.
    static func endsConnection(_ error: any Error) -> Bool {
        guard error is any NIOHTTP2Error else { return true }
        switch error {
        case is NIOHTTP2Errors.ExcessiveRSTFrames, is NIOHTTP2Errors.ExcessiveControlFrames,
            is NIOHTTP2Errors.ExcessiveStreamErrors, is NIOHTTP2Errors.ExcessiveEmptyDataFrames,
            is NIOHTTP2Errors.ExcessiveNumberOfGlitches, is NIOHTTP2Errors.ExcessiveContinuationFrames,
            is NIOHTTP2Errors.ExcessivelyLargeHeaderBlock, is NIOHTTP2Errors.ExcessiveOutboundFrameBuffering,
            is NIOHTTP2Errors.UnableToParseFrame, is NIOHTTP2Errors.BadClientMagic, is NIOHTTP2Errors.MissingPreface:
            return true
        default:
            return false
        }
    }

    private func count() {
        guard !counted else { return }
        counted = true
        loop.traffic.activeConnections += 1
    }

    private func uncount() {
        guard counted else { return }
        counted = false
        loop.traffic.activeConnections -= 1
    }
}

@available(*, unavailable)
extension HTTP2ConnectionHandler: Sendable {}
