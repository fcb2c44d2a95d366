import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Shared
import Synchronization
import X509

/// Listens for remote data planes on `--cluster-address` with mutual TLS and runs the same
/// conversation as the control socket with each (``ReplicaConversation``). A client without a
/// certificate signed by the cluster CA, or with an expired one, fails the handshake and never
/// reaches `hello`.
package struct ClusterListener: Service {
    let conversation: ReplicaConversation
    private let bound: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    /// Connections that have not said hello yet (mid-handshake, or silent): at most
    /// ``pendingLimit`` at once, so that peers without a certificate cannot hold every
    /// descriptor for the hello timeout each. Data planes past their hello do not count.
    private let pending: PendingConnections
    package let pendingLimit: Int

    /// Connections counted as pending now.
    package var pendingCount: Int { pending.value }

    /// The address bound (with the port the kernel chose for port 0).
    package var localAddress: HostPort? {
        guard let address = bound.channel.localAddress, let ip = address.ipAddress, let port = address.port else {
            return nil
        }
        return HostPort(host: ip, port: port)
    }

    /// Loads the certificate files and binds the address now, so that a bad file or a taken
    /// port stops the control plane at start.
    package init(
        settings: ClusterSettings, publisher: SnapshotPublisher, logger: Logger, helloTimeout: Duration = .seconds(10),
        pendingLimit: Int = 256
    ) async throws {
        self.pendingLimit = pendingLimit
        pending = PendingConnections()
        let context = try Self.context(settings)
        conversation = ReplicaConversation(
            publisher: publisher, logger: logger, helloTimeout: helloTimeout, allowedNames: settings.allowedNames)
        do {
            bound = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.socketOption(.so_keepalive), value: 1)
                // Snapshots unacknowledged for 30 s (the replica's machine or network is gone) close the connection.
                .childChannelOption(
                    ChannelOptions.Types.SocketOption(
                        level: SocketOptionLevel(IPPROTO_TCP), name: SocketOptionName(TCP_USER_TIMEOUT)),
                    value: 30_000
                )
                .bind(host: settings.address.host, port: settings.address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                        return try ControlSocketServer.framed(channel)
                    }
                }
        } catch {
            throw ControlPlaneError("cannot listen on --cluster-address \(settings.address): \(error)")
        }
    }

    package func run() async throws {
        try await withGracefulShutdownHandler {
            try await bound.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        // Counted here, as each connection's channel is ready, not in their tasks.
                        // (Children set up on different event loops may be ready in another
                        // order than they were accepted.)
                        guard pending.take(limit: pendingLimit) else {
                            conversation.logger.warning(
                                "too many cluster connections without a hello; closing one",
                                metadata: [
                                    "peer": "\(connection.channel.remoteAddress.map(Self.text) ?? "unknown")",
                                    "limit": "\(pendingLimit)",
                                ])
                            // Closed through its writer and reader, which must not be dropped
                            // unfinished; in a task of its own, as closing a TLS connection may wait
                            // for the peer, and the next connection must not.
                            group.addTask { try? await connection.executeThenClose { _, _ in } }
                            continue
                        }
                        group.addTask { await converse(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            bound.channel.close(promise: nil)
        }
    }

    private func converse(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let channel = connection.channel
        let address = channel.remoteAddress.map(Self.text) ?? "unknown"
        await conversation.run(connection, peer: .remote(address: address, channel: channel)) { [pending] in
            pending.release()
        }
    }

    /// Server TLS that asks for, and verifies, a client certificate against the cluster CA alone.
    static func context(_ settings: ClusterSettings) throws -> NIOSSLContext {
        func load<T>(_ file: String, _ role: String, _ read: () throws -> T) throws -> T {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw ControlPlaneError("--cluster-\(role) \(file) is not a readable file")
            }
            do {
                return try read()
            } catch {
                throw ControlPlaneError("--cluster-\(role) \(file) cannot be read: \(error)")
            }
        }
        let chain = try load(settings.certFile, "cert") { try NIOSSLCertificate.fromPEMFile(settings.certFile) }
        let key = try load(settings.keyFile, "key") { try NIOSSLPrivateKey(file: settings.keyFile, format: .pem) }
        let roots = try load(settings.caFile, "ca") { try NIOSSLCertificate.fromPEMFile(settings.caFile) }
        guard !chain.isEmpty else {
            throw ControlPlaneError("--cluster-cert \(settings.certFile) holds no certificate")
        }
        guard !roots.isEmpty else { throw ControlPlaneError("--cluster-ca \(settings.caFile) holds no certificate") }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .noHostnameVerification
        configuration.trustRoots = .certificates(roots)
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw ControlPlaneError(
                "--cluster-key \(settings.keyFile) cannot be used with --cluster-cert \(settings.certFile): \(error)")
        }
    }

    /// `IP:PORT`, IPv6 in brackets.
    static func text(_ address: SocketAddress) -> String {
        let ip = address.ipAddress ?? "\(address)"
        let port = address.port.map(String.init) ?? "0"
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    /// The subject common name and the DNS subject alternative names of the client's
    /// certificate, read once the handshake verified it.
    static func certificateNames(of channel: any Channel) async -> [String] {
        guard let peer = try? await channel.nioSSL_peerCertificate().get(),
            let certificate = try? Certificate(derEncoded: try peer.toDERBytes())
        else { return [] }
        var names: [String] = []
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                names.append(String(describing: attribute.value))
            }
        }
        for name in (try? certificate.extensions.subjectAlternativeNames) ?? SubjectAlternativeNames() {
            if case .dnsName(let host) = name { names.append(host) }
        }
        return names
    }
}

/// How many cluster connections have not said hello yet.
private final class PendingConnections: Sendable {
    private let count = Mutex(0)

    /// Counts one more unless `limit` are pending.
    func take(limit: Int) -> Bool {
        count.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func release() { count.withLock { $0 -= 1 } }

    var value: Int { count.withLock { $0 } }
}
