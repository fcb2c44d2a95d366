import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TestSupport

/// One kept-alive HTTP/1.1 client connection for drain tests: send a request, read its
/// response (Content-Length framed), send the next on the same connection, see the server close.
final class DrainClientConnection: Sendable {
    private let channel: any Channel
    private let received: NIOLockedValueBox<[UInt8]>

    static func open(port: Int) async throws -> DrainClientConnection {
        let received = NIOLockedValueBox<[UInt8]>([])
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteAppender(received: received))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return DrainClientConnection(channel: channel, received: received)
    }

    private init(channel: any Channel, received: NIOLockedValueBox<[UInt8]>) {
        self.channel = channel
        self.received = received
    }

    /// Whether the server (or the client) has closed the connection.
    var isClosed: Bool { !channel.isActive }

    /// Sends `GET path` with keep-alive.
    func send(_ path: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
    }

    /// The next complete response (taken off the connection's bytes).
    func response(timeout: Double = 30) async throws -> RawResponse {
        try await eventually("a complete response", timeout: timeout) { () -> RawResponse? in
            let taken = received.withLockedValue { bytes -> [UInt8]? in
                guard let length = Self.completeLength(bytes) else { return nil }
                defer { bytes.removeFirst(length) }
                return Array(bytes[..<length])
            }
            if taken == nil, isClosed, received.withLockedValue({ Self.completeLength($0) == nil }) {
                throw ConnectionClosedEarly()
            }
            return taken.map { RawResponse(bytes: $0, closedByServer: false) }
        }
    }

    /// Waits until the server closes the connection.
    func waitForClose(timeout: Double = 30) async throws {
        _ = try await eventually("the server to close the connection", timeout: timeout) { isClosed ? true : nil }
    }

    func close() {
        channel.close(promise: nil)
    }

    /// Bytes of the first complete response in `bytes` (head and Content-Length body), if there is one.
    static func completeLength(_ bytes: [UInt8]) -> Int? {
        let marker: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4,
            let end = (0...(bytes.count - 4)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(marker) })
        else { return nil }
        let head = String(decoding: bytes[..<end], as: UTF8.self).lowercased()
        let length =
            head.components(separatedBy: "\r\n")
            .first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        let total = end + 4 + length
        return bytes.count >= total ? total : nil
    }
}

/// The server closed the connection before a complete response arrived.
struct ConnectionClosedEarly: Error {}

private final class ByteAppender: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let received: NIOLockedValueBox<[UInt8]>
    init(received: NIOLockedValueBox<[UInt8]>) { self.received = received }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        received.withLockedValue { $0.append(contentsOf: buffer.readableBytesView) }
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
