import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import Shared

/// How a replica reaches its control plane: the Unix socket on this machine, or control planes
/// on other machines over TCP with mutual TLS (`--control-plane`). Both carry the same
/// length-prefixed frames.
package enum ControlPlaneTransport: Sendable {
    case unixSocket(path: String)
    /// Control planes in the order to try them, and the client TLS that presents this replica's
    /// certificate and verifies theirs against the cluster CA.
    case cluster(addresses: [HostPort], tls: NIOSSLContext)

    /// How many addresses there are to take turns on.
    package var addressCount: Int {
        switch self {
        case .unixSocket: 1
        case .cluster(let addresses, _): addresses.count
        }
    }

    /// Whether the control planes are on other machines (`--control-plane`).
    package var isRemote: Bool {
        if case .cluster = self { return true }
        return false
    }

    /// The address at `index`, for logs.
    package func describe(_ index: Int) -> String {
        switch self {
        case .unixSocket(let path): path
        case .cluster(let addresses, _): addresses[index % addresses.count].description
        }
    }

    /// `TCP_USER_TIMEOUT`: a connection whose sent data stays unacknowledged this long (the
    /// peer's machine is gone, or the network between) is closed, so that a replica moves on to
    /// another control plane instead of waiting out TCP's retransmissions (about 15 minutes).
    /// Reports leave every second, so a silent peer is noticed after this long.
    static let unacknowledgedTimeout = ChannelOptions.Types.SocketOption(
        level: SocketOptionLevel(IPPROTO_TCP), name: SocketOptionName(TCP_USER_TIMEOUT))
    static let unacknowledgedMilliseconds: SocketOptionValue = 30_000

    /// How long a TCP connection may take to open.
    static let connectTimeout = TimeAmount.seconds(5)

    /// Opens a framed connection to the address at `index`. Over TLS, the handshake completes
    /// with the first frame exchanged; a control plane whose certificate does not chain to the
    /// cluster CA or does not name the host dialed fails it.
    func connect(_ index: Int, group: any EventLoopGroup) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        @Sendable func framing(_ channel: any Channel) throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(
                ByteToMessageHandler(
                    LengthFieldBasedFrameDecoder(lengthFieldLength: .four),
                    maximumBufferSize: maximumControlFrameSize + 4))
            try pipeline.addHandler(LengthFieldPrepender(lengthFieldLength: .four))
            return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
        }
        switch self {
        case .unixSocket(let path):
            return try await ClientBootstrap(group: group)
                .connect(unixDomainSocketPath: path) { channel in
                    channel.eventLoop.makeCompletedFuture { try framing(channel) }
                }
        case .cluster(let addresses, let tls):
            let address = addresses[index % addresses.count]
            // An IP address is checked against the certificate's IP names; a host name is also sent as SNI.
            let serverName = Self.isIPLiteral(address.host) ? nil : address.host
            return try await ClientBootstrap(group: group)
                .connectTimeout(Self.connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelOption(.socketOption(.so_keepalive), value: 1)
                .channelOption(Self.unacknowledgedTimeout, value: Self.unacknowledgedMilliseconds)
                .connect(host: address.host, port: address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tls, serverHostname: serverName))
                        return try framing(channel)
                    }
                }
        }
    }

    static func isIPLiteral(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// Client TLS for `--control-plane`: this replica's certificate and key, and the cluster CA
    /// as the only trust root; the control plane's certificate must name the host dialed.
    package static func clusterTLS(certFile: String, keyFile: String, caFile: String) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certFile)
        let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        let roots = try NIOSSLCertificate.fromPEMFile(caFile)
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateChain = chain.map { .certificate($0) }
        configuration.privateKey = .privateKey(key)
        configuration.trustRoots = .certificates(roots)
        configuration.certificateVerification = .fullVerification
        return try NIOSSLContext(configuration: configuration)
    }
}
