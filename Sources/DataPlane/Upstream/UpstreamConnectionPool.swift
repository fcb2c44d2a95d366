import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Keep-alive connections to upstreams, owned by one event loop: every connection in it lives
/// on that loop, so a request and its upstream connection never cross threads and the pool
/// needs no lock.
package final class UpstreamConnectionPool {
    /// Connections are shared by upstreams with the same host, port and transport.
    package struct Key: Hashable, Sendable {
        package var host: String
        package var port: Int
        package var tls: Bool

        package init(host: String, port: Int, tls: Bool) {
            self.host = host
            self.port = port
            self.tls = tls
        }
    }

    /// Idle connections kept per key; more are closed when they come back.
    static let maximumIdlePerKey = 256
    /// An idle connection unused for this long is closed (well under common upstream
    /// keep-alive timeouts, so the proxy rarely reuses a connection the upstream is closing).
    static let idleTimeout = TimeAmount.seconds(30)

    private let eventLoop: any EventLoop
    private let tlsContext: NIOSSLContext?
    private let connector: any UpstreamConnector
    /// Idle connections per key, newest last. The lists are objects so that leasing and
    /// releasing change them in place: no dictionary `_modify` accessor, no array copy.
    private var idle: [Key: IdleList] = [:]
    private var sweeper: RepeatedTask?
    /// The replica's connections per upstream, for ``UpstreamLimits``.
    package let counts: UpstreamConnectionCounts
    /// Requests of this loop waiting for a connection to an upstream at its limit, oldest first.
    private var waiters: [Key: [any UpstreamConnectionWaiter]] = [:]

    init(
        eventLoop: any EventLoop, tlsContext: NIOSSLContext?, connector: any UpstreamConnector,
        counts: UpstreamConnectionCounts = UpstreamConnectionCounts()
    ) {
        self.eventLoop = eventLoop
        self.tlsContext = tlsContext
        self.connector = connector
        self.counts = counts
        counts.register(NIOLoopBound(self, eventLoop: eventLoop))
    }

    /// Idle connections held now, over every key.
    package var idleCount: Int { idle.values.reduce(0) { $0 + $1.connections.count } }

    /// An idle connection for `key`, if one is open.
    func lease(_ key: Key) -> UpstreamClientHandler? {
        guard let list = idle[key] else { return nil }
        while let connection = list.connections.popLast() {
            if connection.isActive { return connection }
        }
        return nil
    }

    /// Takes a connection back after a complete exchange; a request of this loop waiting for a
    /// connection to its upstream gets it at once.
    func release(_ connection: UpstreamClientHandler) {
        connection.detach()
        guard connection.isActive else { return }
        if var queue = waiters[connection.key], !queue.isEmpty {
            let waiter = queue.removeFirst()
            waiters[connection.key] = queue.isEmpty ? nil : queue
            waiter.connectionAvailable(connection)
            return
        }
        if counts.hasPending(connection.key) {
            // A request of another loop waits for this upstream's limit: free a place for it.
            connection.close()
            return
        }
        let list: IdleList
        if let existing = idle[connection.key] {
            list = existing
        } else {
            list = IdleList()
            idle[connection.key] = list
        }
        guard list.connections.count < Self.maximumIdlePerKey else {
            connection.close()
            return
        }
        connection.idleSince = .now()
        list.connections.append(connection)
        startSweeping()
    }

    /// Forgets a connection that closed.
    func remove(_ connection: UpstreamClientHandler) {
        idle[connection.key]?.connections.removeAll { $0 === connection }
    }

    /// `waiter` waits for a connection to `key` (released on this loop, see
    /// ``release(_:)``) until it stops with ``stopWaiting(_:for:)``.
    func wait(_ waiter: any UpstreamConnectionWaiter, for key: Key) {
        waiters[key, default: []].append(waiter)
        counts.shedIdle(key, except: self)
    }

    /// Closes the idle connections to `key`.
    func closeIdle(_ key: Key) {
        guard let list = idle.removeValue(forKey: key) else { return }
        for connection in list.connections { connection.close() }
    }

    func stopWaiting(_ waiter: any UpstreamConnectionWaiter, for key: Key) {
        guard var queue = waiters[key] else { return }
        queue.removeAll { $0 === waiter }
        waiters[key] = queue.isEmpty ? nil : queue
    }

    /// Counts a new connection to `key` against `max` (the replica's connections to it); `false`
    /// when it is at its limit.
    func mayConnect(_ key: Key, max: Int) -> Bool {
        counts.reserveConnection(key, max: max)
    }

    /// Opens a new connection for `key` on this pool's loop, counted by ``mayConnect(_:max:)``
    /// first: the count drops when it closes or fails to open. The handler is returned at once;
    /// the future completes when the TCP connection is up (TLS finishes on its own: writes wait
    /// for the handshake).
    func connect(_ key: Key, timeout: TimeAmount) -> (UpstreamClientHandler, EventLoopFuture<any Channel>) {
        let handler = UpstreamClientHandler(key: key, pool: self)
        if key.tls && tlsContext == nil {
            counts.connectionClosed(key)
            return (handler, eventLoop.makeFailedFuture(UpstreamTLSUnavailable()))
        }
        let bound = NIOLoopBound(handler, eventLoop: eventLoop)
        let tls = key.tls ? tlsContext : nil
        let host = key.host
        let future = connector.connect(host: key.host, port: key.port, timeout: timeout, on: eventLoop) { channel in
            channel.eventLoop.makeCompletedFuture {
                let pipeline = channel.pipeline.syncOperations
                if let tls {
                    let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
                    try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : host))
                }
                // Request heads are the client's parsed headers plus sanitized ones (see
                // HeaderRewriter), so NIO's outbound header validation would only cost time.
                // Bytes after a 101 go on to the tunnel that replaces the decoder.
                try pipeline.addHTTPClientHandlers(
                    leftOverBytesStrategy: .forwardBytes, enableOutboundHeaderValidation: false)
                try pipeline.addHandler(bound.value)
            }
        }
        let counts = self.counts
        future.whenComplete { result in
            switch result {
            case .success(let channel): channel.closeFuture.whenComplete { _ in counts.connectionClosed(key) }
            case .failure: counts.connectionClosed(key)
            }
        }
        return (handler, future)
    }

    private func startSweeping() {
        guard sweeper == nil else { return }
        sweeper = eventLoop.scheduleRepeatedTask(initialDelay: Self.idleTimeout, delay: .seconds(5)) {
            [bound = NIOLoopBound(self, eventLoop: eventLoop)] _ in
            bound.value.closeExpired()
        }
    }

    private func closeExpired() {
        let cutoff = NIODeadline.now() - Self.idleTimeout
        for (key, list) in idle {
            let expired = list.connections.filter { $0.idleSince < cutoff }
            list.connections.removeAll { $0.idleSince < cutoff }
            if list.connections.isEmpty { idle[key] = nil }
            for connection in expired { connection.close() }
        }
    }

    /// Closes every idle connection (shutdown).
    func closeAll() {
        sweeper?.cancel()
        sweeper = nil
        let all = idle.values.flatMap(\.connections)
        idle = [:]
        for connection in all { connection.close() }
    }
}

@available(*, unavailable)
extension UpstreamConnectionPool: Sendable {}

/// A request waiting for a connection to an upstream at its limit.
protocol UpstreamConnectionWaiter: AnyObject {
    /// A connection to the awaited upstream was released on this loop: it is the waiter's now
    /// (it no longer waits).
    func connectionAvailable(_ connection: UpstreamClientHandler)
}

/// One key's idle connections, newest last.
private final class IdleList {
    var connections: [UpstreamClientHandler] = []
}

/// An `https` upstream was requested but no TLS context could be built at start.
struct UpstreamTLSUnavailable: Error, CustomStringConvertible {
    var description: String { "TLS is unavailable: the system trust store could not be loaded" }
}
