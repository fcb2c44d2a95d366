import Foundation
import NIOCore
import NIOPosix

/// Bytes exactly as a server sent them, for checks an HTTP client library would hide
/// (truncation, header lines, connection close).
public struct RawResponse: Sendable {
    public var bytes: [UInt8]
    /// Whether the server closed the connection (rather than the read timing out).
    public var closedByServer: Bool

    public init(bytes: [UInt8], closedByServer: Bool) {
        self.bytes = bytes
        self.closedByServer = closedByServer
    }

    /// Everything before the blank line ending the head.
    public var head: String {
        guard let end = headEnd else { return String(decoding: bytes, as: UTF8.self) }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// The bytes after the head (still chunk-framed if the response is chunked).
    public var body: ArraySlice<UInt8> {
        guard let end = headEnd else { return [] }
        return bytes[(end + 4)...]
    }

    public var status: Int? {
        head.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) }
    }

    /// Header lines of the head (name lower-cased, value trimmed), in order.
    public var headerLines: [(name: String, value: String)] {
        head.components(separatedBy: "\r\n").dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }

    public func values(_ name: String) -> [String] {
        headerLines.filter { $0.name == name.lowercased() }.map(\.value)
    }

    private var headEnd: Int? {
        let marker: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index..<(index + 4)].elementsEqual(marker) { return index }
        return nil
    }
}

/// A bare TCP client for HTTP tests.
public enum DataPlaneRawClient {
    /// Sends `request` to 127.0.0.1:`port` and collects what comes back until the server closes
    /// or `idle` seconds pass without closing.
    public static func exchange(port: Int, _ request: String, idle: Double = 10) async throws -> RawResponse {
        let collector = NIOLoopBoundCollector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RawCollectHandler(collector: collector))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: request))
        let closed = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await channel.closeFuture.get()
                return true
            }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(idle * 1e9))
                return false
            }
            let first = try await group.next()!
            // Closing ends the close-waiting child, which cancellation alone would not.
            if !first { channel.close(promise: nil) }
            group.cancelAll()
            return first
        }
        return RawResponse(bytes: collector.bytes, closedByServer: closed)
    }
}

private final class NIOLoopBoundCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [UInt8] = []
    func append(_ buffer: ByteBuffer) { lock.withLock { collected.append(contentsOf: buffer.readableBytesView) } }
    var bytes: [UInt8] { lock.withLock { collected } }
}

private final class RawCollectHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let collector: NIOLoopBoundCollector
    init(collector: NIOLoopBoundCollector) { self.collector = collector }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { collector.append(unwrapInboundIn(data)) }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
