import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// One TLS connection to a local server, kept open across exchanges: HTTP/1.1 requests as raw
/// text, responses read back by their `Content-Length`, and the certificate the server showed.
public final class TLSTestConnection: Sendable {
    private let channel: any Channel
    private let collector: ResponseCollector

    /// Connects to 127.0.0.1:`port` asking for `serverName` (SNI; none when `nil`), trusting the
    /// CA in `caFile`, optionally presenting a client certificate. Hostnames are not checked:
    /// tests look at ``peerCertificateDescription`` instead. Throws when the handshake fails.
    public static func open(
        port: Int, serverName: String?, caFile: String, clientCertificate: TestPKI.Issued? = nil,
        applicationProtocols: [String] = ["http/1.1"]
    ) async throws -> TLSTestConnection {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(caFile)
        configuration.certificateVerification = .noHostnameVerification
        configuration.applicationProtocols = applicationProtocols
        if let clientCertificate {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(clientCertificate.certFile).map {
                .certificate($0)
            }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: clientCertificate.keyFile, format: .pem))
        }
        let context = try NIOSSLContext(configuration: configuration)
        let collector = ResponseCollector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(context: context, serverHostname: serverName)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHandler(CollectHandler(collector: collector))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let connection = TLSTestConnection(channel: channel, collector: collector)
        // The handshake is done once the server's certificate is known; it failed when the
        // channel closed first.
        let deadline = Date().addingTimeInterval(30)
        while try await connection.peerCertificateDescription() == nil {
            if let failure = collector.failure { throw failure }
            guard channel.isActive else { throw TLSTestConnectionClosed() }
            guard Date() < deadline else {
                await connection.close()
                throw TimedOut(description: "no TLS handshake within 30 s")
            }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        return connection
    }

    private init(channel: any Channel, collector: ResponseCollector) {
        self.channel = channel
        self.collector = collector
    }

    /// NIOSSL's description of the server's certificate (it names `common_name` and the
    /// alternative names); `nil` before the handshake.
    public func peerCertificateDescription() async throws -> String? {
        try await channel.nioSSL_peerCertificate().get()?.description
    }

    /// Sends `request` and returns the response, complete by its `Content-Length` (or what
    /// arrived when the server closed the connection or `timeout` passed).
    public func exchange(_ request: String, timeout: Double = 30) async throws -> RawResponse {
        collector.reset()
        try await channel.writeAndFlush(ByteBuffer(string: request))
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let bytes = collector.bytes
            let response = RawResponse(bytes: bytes, closedByServer: !channel.isActive)
            if let length = response.values("content-length").first.flatMap({ Int($0) }),
                response.body.count >= length
            {
                return response
            }
            if !channel.isActive { return response }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        return RawResponse(bytes: collector.bytes, closedByServer: false)
    }

    /// Whether the connection is still open.
    public var isOpen: Bool { channel.isActive }

    public func close() async {
        try? await channel.close()
    }
}

/// The server closed the connection before the TLS handshake completed.
public struct TLSTestConnectionClosed: Error {}

private final class ResponseCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [UInt8] = []
    private var error: (any Error)?

    func append(_ buffer: ByteBuffer) { lock.withLock { collected.append(contentsOf: buffer.readableBytesView) } }
    func fail(_ error: any Error) { lock.withLock { self.error = error } }
    func reset() { lock.withLock { collected = [] } }
    var bytes: [UInt8] { lock.withLock { collected } }
    var failure: (any Error)? { lock.withLock { error } }
}

private final class CollectHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let collector: ResponseCollector
    init(collector: ResponseCollector) { self.collector = collector }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { collector.append(unwrapInboundIn(data)) }
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        collector.fail(error)
        context.close(promise: nil)
    }
}
