import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import Shared

/// Speaks the snapshot protocol on the control socket the way a data plane does, so that tests
/// can watch what the control plane publishes.
public final class ControlSocketClient: @unchecked Sendable {
    let channel: any Channel
    var iterator: AsyncStream<ByteBuffer>.AsyncIterator
    /// The replica counts the control plane announced (`replicas` messages), newest last: kept
    /// aside, as they travel beside everything else.
    public private(set) var replicaCounts: [Int] = []

    public static func connect(path: String) async throws -> ControlSocketClient {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldLength: .four)))
                    try channel.pipeline.syncOperations.addHandler(LengthFieldPrepender(lengthFieldLength: .four))
                    try channel.pipeline.syncOperations.addHandler(FrameCollector(continuation: continuation))
                }
            }
            .connect(unixDomainSocketPath: path).get()
        return ControlSocketClient(channel: channel, iterator: stream.makeAsyncIterator())
    }

    /// Connects to a control plane's `--cluster-address` over mutual TLS, as a remote data
    /// plane does: presenting `certFile`/`keyFile`, trusting `caFile` alone.
    public static func connect(
        clusterPort port: Int, certFile: String, keyFile: String, caFile: String
    ) async throws -> ControlSocketClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certFile).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        let context = try NIOSSLContext(configuration: tls)
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    try pipeline.addHandler(
                        ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldLength: .four)))
                    try pipeline.addHandler(LengthFieldPrepender(lengthFieldLength: .four))
                    try pipeline.addHandler(FrameCollector(continuation: continuation))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return ControlSocketClient(channel: channel, iterator: stream.makeAsyncIterator())
    }

    init(channel: any Channel, iterator: AsyncStream<ByteBuffer>.AsyncIterator) {
        self.channel = channel
        self.iterator = iterator
    }

    public func send(_ message: DataPlaneMessage) async throws {
        let data = try JSONEncoder().encode(message)
        try await channel.writeAndFlush(ByteBuffer(bytes: data))
    }

    /// Sends raw bytes as one frame (for malformed-message tests).
    public func sendRaw(_ data: Data) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: data))
    }

    /// The next message from the control plane, or `nil` when the connection closed.
    public func receive() async throws -> ControlPlaneMessage.Received? {
        while var frame = await iterator.next() {
            let data = Data(frame.readBytes(length: frame.readableBytes) ?? [])
            let received = try ControlPlaneMessage.decode(data)
            if case .message(.replicas(let count)) = received {
                replicaCounts.append(count)
                continue
            }
            return received
        }
        return nil
    }

    /// The next message that is not a health update (those travel beside everything else).
    public func receiveSkippingHealth() async throws -> ControlPlaneMessage.Received? {
        while let received = try await receive() {
            if case .message(.health) = received { continue }
            return received
        }
        return nil
    }

    /// The next snapshot, skipping health updates; fails on anything else.
    public func receiveSnapshot(timeout: Double = 20) async throws -> Snapshot {
        try await withThrowingTaskGroup(of: Snapshot.self) { group in
            group.addTask {
                while true {
                    guard let received = try await self.receive() else {
                        throw TimedOut(description: "connection closed")
                    }
                    // Health updates travel beside snapshots.
                    if case .message(.health) = received { continue }
                    guard case .message(.snapshot(let snapshot)) = received else {
                        throw TimedOut(description: "expected a snapshot, got \(received)")
                    }
                    return snapshot
                }
            }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
                throw TimedOut(description: "no snapshot within \(timeout)s")
            }
            let snapshot = try await group.next()!
            group.cancelAll()
            return snapshot
        }
    }

    public func close() async {
        try? await channel.close()
    }
}

/// Hands each decoded frame to an async stream; finishes it when the connection closes.
final class FrameCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let continuation: AsyncStream<ByteBuffer>.Continuation

    init(continuation: AsyncStream<ByteBuffer>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        continuation.yield(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
