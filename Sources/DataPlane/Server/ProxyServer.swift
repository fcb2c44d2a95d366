import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Shared
import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The proxy listeners: binds (or adopts) the listening socket, gives every accepted connection
/// the HTTP/1.1 pipeline and a ``ProxyServerHandler`` bound to its event loop's state, and on
/// SIGTERM or a drain request stops accepting and lets open connections finish (see ``run()``).
/// With a TLS target, a second listener terminates TLS and serves HTTP/1.1 or HTTP/2 (see
/// ``configureTLS(_:states:environment:certificates:connections:logger:)``); both share the
/// connection limit and drain together.
package struct ProxyServer: Service {
    let target: ListenTarget
    /// The TLS listener, if any.
    let tlsTarget: ListenTarget?
    let group: any EventLoopGroup
    let states: LoopStates
    let environment: ProxyEnvironment
    let drainTimeout: Duration
    let drain: DrainState
    let logger: Logger

    package init(
        target: ListenTarget, tlsTarget: ListenTarget? = nil, group: any EventLoopGroup, states: LoopStates,
        environment: ProxyEnvironment, drainTimeout: Duration, drain: DrainState, logger: Logger
    ) {
        self.drain = drain
        self.target = target
        self.tlsTarget = tlsTarget
        self.group = group
        self.states = states
        self.environment = environment
        self.drainTimeout = drainTimeout
        self.logger = logger
    }

    package func run() async throws {
        let connections = ConnectionTracker()
        let states = states
        let environment = environment
        let logger = logger
        let listener = try await listen(target, connections: connections) { channel in
            Self.configure(channel, states: states, environment: environment, connections: connections, logger: logger)
        }
        let address = listener.address
        logger.info("listening on \(address)", metadata: ["replica": "\(environment.replicaID)"])
        FileHandle.standardOutput.write(Data("listening on \(address)\n".utf8))
        var tlsListener: Listener?
        if let tlsTarget, let certificates = environment.serverCertificates {
            do {
                tlsListener = try await listen(tlsTarget, connections: connections) { channel in
                    Self.configureTLS(
                        channel, states: states, environment: environment, certificates: certificates,
                        connections: connections, logger: logger)
                }
            } catch {
                await listener.stop()
                throw error
            }
            let tlsAddress = tlsListener?.address ?? "unknown"
            logger.info("listening for TLS on \(tlsAddress)", metadata: ["replica": "\(environment.replicaID)"])
            FileHandle.standardOutput.write(Data("listening for TLS on \(tlsAddress)\n".utf8))
        }

        guard let deadline = await waitForDrain() else { return }
        // A second SIGTERM or SIGINT while draining ends the process at once, with status 1. After
        // a drain the control plane asked for, the first signal is the same request (a supervisor
        // may send both): it changes nothing.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let alreadyAsked = drain.startedBySignal ? 0 : 1
        let forcedExit = Task { [logger] in
            var received = 0
            for await signal in signals {
                received += 1
                guard received > alreadyAsked else {
                    logger.info("\(signal) while draining: already draining")
                    continue
                }
                logger.warning("\(signal) while draining: exiting now")
                exit(1)
            }
        }
        defer { forcedExit.cancel() }

        // Stop accepting first, so that a client told `Connection: close` reconnects elsewhere;
        // every connection accepted until then is tracked and told.
        await listener.stop()
        await tlsListener?.stop()
        _ = try? await states.forEach { state in state.draining = true }.get()
        connections.drain()
        logger.info("draining: no new connections, finishing open ones", metadata: ["open": "\(connections.count)"])
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await connections.waitUntilEmpty() }
            tasks.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            _ = await tasks.next()
            if connections.count > 0 {
                logger.notice(
                    "drain deadline passed; closing the open connections", metadata: ["open": "\(connections.count)"])
            }
            connections.closeAll()
            tasks.cancelAll()
        }
        _ = try? await states.forEach { state in state.pool.closeAll() }.get()
        logger.info("drained")
    }

    /// Waits for SIGTERM (the service group's graceful shutdown) or a drain request from the
    /// control plane, whichever comes first; returns the drain deadline.
    private func waitForDrain() async -> ContinuousClock.Instant? {
        let drain = drain
        let timeout = drainTimeout
        return await withTaskGroup(of: ContinuousClock.Instant?.self) { tasks in
            tasks.addTask {
                try? await gracefulShutdown()
                drain.begin(within: timeout, bySignal: true)
                return nil
            }
            tasks.addTask { await drain.started() }
            var deadline: ContinuousClock.Instant?
            while deadline == nil, let next = await tasks.next() { deadline = next }
            tasks.cancelAll()
            return deadline
        }
    }

    /// What accepts connections: NIO's server channel for a socket of our own, or a
    /// ``SharedSocketAcceptor`` for one shared with other replicas.
    enum Listener {
        case channel(any Channel)
        case shared(SharedSocketAcceptor)

        var address: String {
            switch self {
            case .channel(let channel): channel.localAddress.map(ProxyServer.describe) ?? "unknown"
            case .shared(let acceptor): acceptor.localAddress ?? "inherited socket"
            }
        }

        /// Stops accepting. A shared socket stays open: the kernel keeps queueing for the other
        /// replicas.
        func stop() async {
            switch self {
            case .channel(let channel): try? await channel.close()
            case .shared(let acceptor): await acceptor.stop()
            }
        }
    }

    /// Binds or adopts `target`; every connection accepted on it goes through `initializer`.
    private func listen(
        _ target: ListenTarget, connections: ConnectionTracker,
        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) async throws -> Listener {
        if case .inherited(let descriptor) = target {
            let acceptor = SharedSocketAcceptor(
                descriptor: descriptor, group: group, connections: connections, logger: logger,
                initializer: initializer)
            ListenTarget.clearInheritanceEnvironment()
            // Other replicas share this socket: while this one has no routes, leave the
            // connections to them (the kernel queues them meanwhile) rather than answer 503.
            try await waitForRoutes(upTo: .seconds(10))
            acceptor.start()
            return .shared(acceptor)
        }
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer(initializer)
        switch target {
        case .bind(let host, let port):
            bootstrap =
                bootstrap
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(ChannelOptions.socketOption(.init(rawValue: SO_REUSEPORT)), value: 1)
            return .channel(Self.limitingAccepts(try await bootstrap.bind(host: host, port: port).get(), connections))
        case .inherited(let descriptor):
            let channel = try await bootstrap.withBoundSocket(descriptor).get()
            ListenTarget.clearInheritanceEnvironment()
            return .channel(Self.limitingAccepts(channel, connections))
        }
    }

    /// Waits until the replica holds a snapshot (from its cache or the control plane), at most
    /// `limit`; a replica alone on the socket then accepts anyway and answers 503 until it has one.
    private func waitForRoutes(upTo limit: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while try await !states.holdSnapshot(), clock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops accepting on `server` while the replica is at its connection limit (connections
    /// wait in the kernel's queue), and resumes once one closes.
    static func limitingAccepts(_ server: any Channel, _ connections: ConnectionTracker) -> any Channel {
        connections.onCapacityChange { [weak server] in
            guard let server else { return }
            // Re-read on the server's loop, so that the last change wins whatever the order.
            server.eventLoop.execute {
                server.setOption(.autoRead, value: !connections.isFull).whenFailure { _ in }
            }
        }
        return server
    }

    /// The pipeline of every accepted connection: HTTP/1.1 and the proxy handler of its loop.
    /// The connection is tracked (for drain and the connection limit) when `connections` is given.
    package static func configure(
        _ channel: any Channel, states: LoopStates, environment: ProxyEnvironment,
        connections: ConnectionTracker? = nil, logger: Logger
    ) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let loop = states.state(on: channel.eventLoop)
            connections?.add(channel, limit: loop.limits.maxConnections)
            try configureHTTP1(
                channel.pipeline.syncOperations, loop: loop, environment: environment, transport: .http1,
                logger: logger)
        }
    }

    /// The HTTP/1.1 decoder and encoder and a ``ProxyServerHandler``, at the end of `pipeline`.
    package static func configureHTTP1(
        _ pipeline: ChannelPipeline.SynchronousOperations, loop: LoopState, environment: ProxyEnvironment,
        transport: ClientTransport, logger: Logger
    ) throws {
        // Just the paired decoder and encoder: ProxyServerHandler orders pipelined requests and
        // answers parse errors itself, without the extra handlers' read toggling. Outbound header
        // validation is off: every header the proxy writes was parsed by NIO's decoder or
        // produced by the proxy from sanitized values.
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
            withEncoderConfiguration: .init(), withDecoderLimitConfiguration: decoderLimits(loop.limits))
        try pipeline.addHandler(
            ProxyServerHandler(loop: loop, environment: environment, logger: logger, transport: transport))
    }

    /// The decoder's own bounds, loose enough that the exact limits are checked on the parsed head
    /// (so that a long target is a 414, not a 431); what passes them cannot grow without bound.
    static func decoderLimits(_ limits: ProxyLimits) -> NIOHTTPDecoderLimitConfiguration {
        var configuration = NIOHTTPDecoderLimitConfiguration()
        configuration.maxHeaderFieldSize = max(limits.maxHeaderBytes, limits.maxURIBytes)
        configuration.maxHeaderListSize = limits.maxHeaderBytes + limits.maxURIBytes
        configuration.maxHeaderFieldCount = limits.maxHeaders + 1
        return configuration
    }

    static func describe(_ address: SocketAddress) -> String {
        let host = address.ipAddress ?? "unknown"
        let port = address.port ?? 0
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

extension ProxyServer: CustomStringConvertible {
    /// Short, for service-lifecycle logs.
    package var description: String { "ProxyServer" }
}
