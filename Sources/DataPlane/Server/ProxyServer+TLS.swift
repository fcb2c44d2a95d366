import Logging
import NIOCore
import NIOSSL
import NIOTLS
import Shared

extension ProxyServer {
    /// The pipeline of every connection accepted on the TLS listener:
    ///
    /// 1. `SNIHandler` reads the server name of the ClientHello and picks the certificate's
    ///    context (``TLSContexts/context(forServerName:)``, the store's contexts as of accept);
    /// 2. `NIOSSLServerHandler` with that context, then ALPN;
    /// 3. `http/1.1` (or no ALPN): the plaintext listener's HTTP/1.1 pipeline; `h2`: HTTP/2 with a
    ///    ``ProxyServerHandler`` per stream (``configureHTTP2(_:states:environment:handshakeDeadline:logger:)``).
    ///
    /// Until a `tls:` section has loaded, a connection is closed at once (logged once). A client
    /// that has not finished its handshake (and, on HTTP/2, opened a stream) within the header
    /// timeout is closed.
    package static func configureTLS(
        _ channel: any Channel, states: LoopStates, environment: ProxyEnvironment, certificates: TLSCertificateStore,
        connections: ConnectionTracker? = nil, logger: Logger
    ) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let loop = states.state(on: channel.eventLoop)
            connections?.add(channel, limit: loop.limits.maxConnections)
            guard let contexts = certificates.contexts else {
                if certificates.shouldLogRefusal() {
                    logger.warning("closing TLS connections until a snapshot with a usable tls section is loaded")
                }
                channel.close(promise: nil)
                return
            }
            let handshakeDeadline = channel.eventLoop.scheduleTask(
                in: ProxyConnectionStateMachine.amount(loop.limits.headerTimeout)
            ) {
                channel.close(promise: nil)
            }
            channel.closeFuture.whenComplete { _ in handshakeDeadline.cancel() }
            let serverName = SNIHandler { result in
                let name: String?
                if case .hostname(let hostname) = result { name = hostname } else { name = nil }
                return channel.eventLoop.makeCompletedFuture {
                    try addTLS(
                        channel, context: contexts.context(forServerName: name), states: states,
                        environment: environment, handshakeDeadline: handshakeDeadline, logger: logger)
                }
            }
            // A ClientHello fits in one record (at most 16 KiB plus its header).
            try channel.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(serverName, maximumBufferSize: 64 * 1024))
        }
    }

    /// TLS with `context`, then ALPN choosing HTTP/1.1 or HTTP/2.
    private static func addTLS(
        _ channel: any Channel, context: NIOSSLContext, states: LoopStates, environment: ProxyEnvironment,
        handshakeDeadline: Scheduled<Void>, logger: Logger
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(NIOSSLServerHandler(context: context))
        try pipeline.addHandler(
            ApplicationProtocolNegotiationHandler { result, channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if case .negotiated(let name) = result, name == "h2" {
                        try configureHTTP2(
                            channel, states: states, environment: environment, handshakeDeadline: handshakeDeadline,
                            logger: logger)
                    } else {
                        // From here on, ProxyServerHandler's own header timeout holds.
                        handshakeDeadline.cancel()
                        try configureHTTP1(
                            pipeline, loop: states.state(on: channel.eventLoop), environment: environment,
                            transport: .http1TLS, logger: logger)
                    }
                }
            })
    }
}
