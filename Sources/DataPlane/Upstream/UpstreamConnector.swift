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

/// TCP connections with `TCP_NODELAY`, made on the requesting loop. An upstream given by IP
/// address is connected to directly; only a host name goes through NIO's resolver (`getaddrinfo`
/// on a thread of its own, then Happy Eyeballs).
package struct SocketUpstreamConnector: UpstreamConnector {
    package init() {}

    package func connect(
        host: String, port: Int, timeout: TimeAmount, on eventLoop: any EventLoop,
        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<any Channel> {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer(initializer)
        if let address = Self.literalAddress(host: host, port: port) { return bootstrap.connect(to: address) }
        return bootstrap.connect(host: host, port: port)
    }

    /// `host` as a socket address when it is an IPv4 or IPv6 literal (with or without brackets).
    package static func literalAddress(host: String, port: Int) -> SocketAddress? {
        var text = Substring(host)
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        guard let first = text.first, first.isHexDigit || first == ":" else { return nil }
        return try? SocketAddress(ipAddress: String(text), port: port)
    }
}
