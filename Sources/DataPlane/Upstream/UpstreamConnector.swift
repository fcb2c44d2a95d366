import NIOCore
import NIOPosix

/// Opens upstream connections. The proxy's is ``SocketUpstreamConnector``; tests and the fuzz
/// targets script upstreams on embedded channels through the same seam.
package protocol UpstreamConnector: Sendable {
    /// Opens a connection to `host`:`port` on `eventLoop`, runs `initializer` on its pipeline
    /// and completes once the connection is up.
    func connect(
        host: String, port: Int, timeout: TimeAmount, on eventLoop: any EventLoop,
        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<any Channel>
}

/// TCP connections with `TCP_NODELAY`, made on the requesting loop.
package struct SocketUpstreamConnector: UpstreamConnector {
    package init() {}

    package func connect(
        host: String, port: Int, timeout: TimeAmount, on eventLoop: any EventLoop,
        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<any Channel> {
        ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer(initializer)
            .connect(host: host, port: port)
    }
}
