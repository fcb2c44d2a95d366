import NIOCore
import NIOHTTP1

/// Receives what an upstream connection delivers while it serves one request. Called on the
/// event loop that owns both connections.
package protocol UpstreamResponseReceiver: AnyObject {
    func upstreamReceived(_ part: HTTPClientResponsePart)
    func upstreamReadComplete()
    func upstreamWritabilityChanged()
    /// The connection closed or failed before the exchange ended; `error` when it failed.
    func upstreamClosed(error: (any Error)?)
    /// Whether the client side can take more bytes (upstream reads pause while it cannot).
    var clientIsWritable: Bool { get }
}

/// The last handler of an upstream connection's pipeline: relays response parts to the request
/// it is leased to, and applies back-pressure by reading only while the client is writable.
/// One per connection; the connection returns to its pool between requests.
package final class UpstreamClientHandler: ChannelDuplexHandler {
    package typealias InboundIn = HTTPClientResponsePart
    package typealias OutboundIn = HTTPClientRequestPart
    package typealias OutboundOut = HTTPClientRequestPart

    let key: UpstreamConnectionPool.Key
    private unowned let pool: UpstreamConnectionPool
    private var context: ChannelHandlerContext?
    private var receiver: (any UpstreamResponseReceiver)?
    private var pendingRead = false
    private var failure: (any Error)?
    /// When it went back into the pool (for idle expiry).
    var idleSince = NIODeadline.now()

    init(key: UpstreamConnectionPool.Key, pool: UpstreamConnectionPool) {
        self.key = key
        self.pool = pool
    }

    /// Whether the connection can still carry a request.
    var isActive: Bool { context?.channel.isActive ?? false }
    /// The connection's channel while the handler is in its pipeline.
    var channel: (any Channel)? { context?.channel }
    var isWritable: Bool { context?.channel.isWritable ?? false }

    /// Leases the connection to a request.
    func attach(_ receiver: any UpstreamResponseReceiver) {
        self.receiver = receiver
    }

    /// Ends the lease; the receiver hears nothing more from this connection.
    func detach() {
        receiver = nil
        resumeReading()
    }

    func write(_ part: HTTPClientRequestPart) {
        context?.write(wrapOutboundOut(part), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    func close() {
        receiver = nil
        context?.close(promise: nil)
    }

    /// Issues a read held back while the client was not writable.
    func resumeReading() {
        guard pendingRead, let context else { return }
        pendingRead = false
        context.read()
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard let receiver else {
            // An idle connection has nothing to say; bytes now mean it is out of step.
            context.close(promise: nil)
            return
        }
        receiver.upstreamReceived(part)
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        receiver?.upstreamReadComplete()
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        receiver?.upstreamWritabilityChanged()
        context.fireChannelWritabilityChanged()
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if failure == nil { failure = error }
        context.close(promise: nil)
    }

    package func channelInactive(context: ChannelHandlerContext) {
        pool.remove(self)
        if let receiver {
            self.receiver = nil
            receiver.upstreamClosed(error: failure)
        }
        context.fireChannelInactive()
    }

    package func read(context: ChannelHandlerContext) {
        if let receiver, !receiver.clientIsWritable {
            pendingRead = true
        } else {
            context.read()
        }
    }
}

/// Removed from the pipeline when its connection becomes a tunnel.
extension UpstreamClientHandler: RemovableChannelHandler {}

@available(*, unavailable)
extension UpstreamClientHandler: Sendable {}
