import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A WebSocket server on 127.0.0.1 that echoes every text and binary frame, answers pings and
/// closes: an upstream for tunnel tests. Frames up to 2 MiB.
public final class WebSocketEchoServer: Sendable {
    public let port: Int
    private let channel: any Channel
    private let handshakes: NIOLockedValueBox<Int>

    public static let maximumFrameSize = 2 << 20

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Upgrades completed so far.
    public var upgrades: Int { handshakes.withLockedValue { $0 } }

    public static func start() async throws -> WebSocketEchoServer {
        let counter = NIOLockedValueBox(0)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: maximumFrameSize, automaticErrorHandling: true,
                    shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
                    upgradePipelineHandler: { channel, _ in
                        counter.withLockedValue { $0 += 1 }
                        return channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(EchoHandler())
                        }
                    })
                return channel.pipeline.configureHTTPServerPipeline(
                    withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return WebSocketEchoServer(port: channel.localAddress?.port ?? 0, channel: channel, handshakes: counter)
    }

    private init(port: Int, channel: any Channel, handshakes: NIOLockedValueBox<Int>) {
        self.port = port
        self.channel = channel
        self.handshakes = handshakes
    }

    public func stop() async {
        try? await channel.close()
    }

    private final class EchoHandler: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.opcode {
            case .text, .binary, .continuation:
                let echo = WebSocketFrame(fin: frame.fin, opcode: frame.opcode, data: frame.unmaskedData)
                context.writeAndFlush(wrapOutboundOut(echo), promise: nil)
            case .ping:
                let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
                context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
            case .connectionClose:
                let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: frame.unmaskedData)
                context.writeAndFlush(wrapOutboundOut(close)).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            default:
                break
            }
        }
    }
}

/// A WebSocket client for tests: connects through `host:port` with an upgrade of `path`, sends
/// frames (masked, as clients must) and hands over every frame it receives.
public final class WebSocketTestClient: Sendable {
    private let channel: any Channel
    public let frames: AsyncStream<WebSocketFrame>

    private init(channel: any Channel, frames: AsyncStream<WebSocketFrame>) {
        self.channel = channel
        self.frames = frames
    }

    /// Connects and completes the handshake; throws when the answer is not a valid 101.
    public static func connect(host: String = "127.0.0.1", port: Int, path: String) async throws
        -> WebSocketTestClient
    {
        let (frames, continuation) = AsyncStream<WebSocketFrame>.makeStream()
        let upgraded = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Void.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                let upgrader = NIOWebSocketClientUpgrader(
                    maxFrameSize: WebSocketEchoServer.maximumFrameSize, automaticErrorHandling: false,
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            let sync = channel.pipeline.syncOperations
                            // Frames from now on: the handshake's watcher leaves.
                            sync.removeHandler(try sync.handler(type: HandshakeFailure.self), promise: nil)
                            try sync.addHandler(Collector(continuation: continuation))
                            upgraded.succeed()
                        }
                    })
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                    try channel.pipeline.syncOperations.addHandler(HandshakeFailure(promise: upgraded))
                }
            }
            .connect(host: host, port: port).get()
        var headers = HTTPHeaders()
        headers.add(name: "host", value: "\(host):\(port)")
        headers.add(name: "content-length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil))
        do {
            try await upgraded.futureResult.get()
        } catch {
            try? await channel.close()
            throw error
        }
        return WebSocketTestClient(channel: channel, frames: frames)
    }

    /// Sends one frame, masked.
    public func send(_ opcode: WebSocketErrorCodeOrOpcode, _ bytes: [UInt8]) async throws {
        let frame = WebSocketFrame(
            fin: true, opcode: opcode.opcode, maskKey: .random(), data: ByteBuffer(bytes: bytes))
        try await channel.writeAndFlush(frame)
    }

    public func close() async {
        try? await channel.close()
    }

    /// Where ``send(_:_:)`` sends: a data opcode or a close with its code.
    public enum WebSocketErrorCodeOrOpcode: Sendable {
        case text, binary, ping, close

        var opcode: WebSocketOpcode {
            switch self {
            case .text: .text
            case .binary: .binary
            case .ping: .ping
            case .close: .connectionClose
            }
        }
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        let continuation: AsyncStream<WebSocketFrame>.Continuation

        init(continuation: AsyncStream<WebSocketFrame>.Continuation) {
            self.continuation = continuation
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            continuation.yield(unwrapInboundIn(data))
        }

        func channelInactive(context: ChannelHandlerContext) {
            continuation.finish()
            context.fireChannelInactive()
        }
    }

    /// Fails the handshake when the connection answers anything but the upgrade.
    private final class HandshakeFailure: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        let promise: EventLoopPromise<Void>

        init(promise: EventLoopPromise<Void>) {
            self.promise = promise
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head(let head) = unwrapInboundIn(data) {
                promise.fail(WebSocketHandshakeRefused(status: Int(head.status.code)))
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(ChannelError.ioOnClosedChannel)
            context.fireChannelInactive()
        }
    }
}

/// The server answered the upgrade with another status.
public struct WebSocketHandshakeRefused: Error, Equatable {
    public var status: Int
}
