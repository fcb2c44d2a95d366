import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A request as the test upstream received it.
public struct RecordedRequest: Sendable {
    public var method: String
    public var uri: String
    /// Header lines in the order received; repeated headers stay separate.
    public var headers: [(name: String, value: String)]
    public var bodyBytes: Int
    /// FNV-1a 64 of the body, computed as it streamed in.
    public var bodyHash: UInt64
    /// The body itself when it is at most 64 KiB.
    public var body: Data?
    /// Which connection (numbered from 1 in accept order) carried it.
    public var connection: Int

    /// Every value of a header, case-insensitively.
    public func values(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    public func first(_ name: String) -> String? { values(name).first }
}

/// What the test upstream answers.
public enum UpstreamBehaviour: Sendable {
    /// A fixed response.
    case fixed(status: Int, headers: [(String, String)], body: String)
    /// 200 with a JSON summary of the request (`method`, `uri`, `bytes`, `hash`).
    case echo
    /// 200 with `count` pattern bytes (see ``UpstreamServer/pattern``), written with
    /// back-pressure; `chunked` sends no Content-Length.
    case stream(count: Int, chunked: Bool)
    /// Reads the request and never answers.
    case hang
    /// Sends a head announcing `announced` bytes (or chunked when `nil`), `sent` bytes, then closes.
    case closeMidResponse(announced: Int?, sent: Int)
    /// Closes the connection as soon as the request is complete, without any response.
    case closeWithoutResponse
    /// 200 with `body`, sent `milliseconds` after the request is complete: a slow upstream.
    case delayed(milliseconds: Int64, body: String)
    /// 200 with `body`, held until ``UpstreamServer/releaseHeld()``: a slow upstream whose
    /// answer the test times, however loaded the machine.
    case held(body: String)
    /// 200 whose head goes out at once and whose `body` follows `milliseconds` later, like a
    /// server that flushes its headers before writing the body (Python's `http.server` does).
    case headFirst(bodyAfterMilliseconds: Int64, body: String)
    /// 200 with `body` and no `Connection: close`, then closes the connection: a client that
    /// reuses it sends its next request into a closed connection.
    case answerThenClose(body: String)
}

/// A real HTTP/1.1 server on 127.0.0.1 with an ephemeral port for end-to-end tests: it records
/// every request and answers as the current ``behaviour`` says.
public final class UpstreamServer: Sendable {
    public let port: Int
    private let channel: any Channel
    private let state: Locked

    /// The shared state behind a lock, as a class so closures can hold it.
    final class Locked: Sendable {
        let mutex: Mutex<State>
        init(_ state: State) { mutex = Mutex(state) }
        func withLock<T: Sendable>(_ body: (inout State) -> T) -> T { mutex.withLock { state in body(&state) } }
    }

    struct State {
        var behaviour: UpstreamBehaviour = .echo
        var requests: [RecordedRequest] = []
        var connections = 0
        var mostOpen = 0
        var open: [ObjectIdentifier: any Channel] = [:]
        /// Answers of the `.held` behaviour waiting for ``UpstreamServer/releaseHeld()``.
        var held: [@Sendable () -> Void] = []
        var heldReleased = false
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public var behaviour: UpstreamBehaviour {
        get { state.withLock { $0.behaviour } }
        set { state.withLock { $0.behaviour = newValue } }
    }

    /// Requests received so far (complete ones, in order of completion).
    public var requests: [RecordedRequest] { state.withLock { $0.requests } }
    /// Connections accepted so far.
    public var connectionCount: Int { state.withLock { $0.connections } }

    /// The most connections that were open at once.
    public var mostOpenConnections: Int { state.withLock { $0.mostOpen } }

    /// Starts a server on `port` of the loopback address (0: an ephemeral one; a stopped
    /// server's port brings an upstream back where its clients expect it).
    public static func start(_ behaviour: UpstreamBehaviour = .echo, port: Int = 0) async throws -> UpstreamServer {
        let state = Locked(State(behaviour: behaviour))
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let number = state.withLock { state in
                        state.connections += 1
                        state.open[ObjectIdentifier(channel)] = channel
                        state.mostOpen = max(state.mostOpen, state.open.count)
                        return state.connections
                    }
                    channel.closeFuture.whenComplete { _ in
                        state.withLock { state in state.open[ObjectIdentifier(channel)] = nil }
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        UpstreamRequestHandler(state: state, connection: number))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        return UpstreamServer(port: channel.localAddress?.port ?? 0, channel: channel, state: state)
    }

    private init(port: Int, channel: any Channel, state: Locked) {
        self.port = port
        self.channel = channel
        self.state = state
    }

    /// Stops listening (new connections are refused) and closes open connections.
    public func stop() async {
        try? await channel.close()
        let open = state.withLock { Array($0.open.values) }
        for connection in open { try? await connection.close() }
    }

    /// Sends the answers the `.held` behaviour keeps back, and every later one at once.
    public func releaseHeld() {
        let held = state.withLock { state -> [@Sendable () -> Void] in
            state.heldReleased = true
            defer { state.held = [] }
            return state.held
        }
        for answer in held { answer() }
    }

    /// Waits until `count` requests were recorded.
    public func waitForRequests(_ count: Int, timeout: Double = 20) async throws -> [RecordedRequest] {
        try await eventually("\(count) upstream requests", timeout: timeout) {
            let requests = self.requests
            return requests.count >= count ? requests : nil
        }
    }

    /// The byte at `index` of the stream the `.stream` behaviour sends.
    public static func pattern(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: index &* 31 &+ 7) }

    /// 64 KiB of the pattern; stream offsets are always multiples of its size.
    static let patternChunk: [UInt8] = (0..<65_536).map(pattern)

    /// The first `count` pattern bytes.
    public static func patternData(count: Int) -> Data {
        var data = Data(capacity: count)
        while data.count < count {
            data.append(contentsOf: patternChunk[0..<min(patternChunk.count, count - data.count)])
        }
        return data
    }

    /// The FNV-1a 64 hash of `count` pattern bytes.
    public static func patternHash(count: Int) -> UInt64 {
        var hasher = FNV1a()
        var remaining = count
        while remaining > 0 {
            let take = min(remaining, patternChunk.count)
            patternChunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<take])) }
            remaining -= take
        }
        return hasher.value
    }
}

/// A 64-bit FNV-1a style hash over little-endian 64-bit words (the last partial word padded
/// with its length), fed incrementally: the result does not depend on how the bytes were split
/// into chunks. Word-wise so that hashing 100 MiB stays quick in debug builds.
public struct FNV1a: Sendable {
    private var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    private var pending: UInt64 = 0
    private var pendingCount = 0
    private var total: UInt64 = 0

    public init() {}

    public var value: UInt64 {
        var hash = self.hash
        hash ^= pending ^ (UInt64(pendingCount) << 56)
        hash &*= 0x0000_0100_0000_01b3
        hash ^= total
        hash &*= 0x0000_0100_0000_01b3
        return hash
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        let count = bytes.count
        total &+= UInt64(count)
        while pendingCount > 0 && pendingCount < 8 && index < count {
            pending |= UInt64(bytes[index]) << (UInt64(pendingCount) * 8)
            pendingCount += 1
            index += 1
        }
        if pendingCount == 8 {
            mix(pending)
            pending = 0
            pendingCount = 0
        }
        while index + 8 <= count {
            mix(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)))
            index += 8
        }
        while index < count {
            pending |= UInt64(bytes[index]) << (UInt64(pendingCount) * 8)
            pendingCount += 1
            index += 1
        }
    }

    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil { Array(bytes).withUnsafeBytes { update($0) } }
    }

    private mutating func mix(_ word: UInt64) {
        hash ^= word
        hash &*= 0x0000_0100_0000_01b3
    }

    public static func hash<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        var hasher = FNV1a()
        hasher.update(bytes)
        return hasher.value
    }

    public static func hash(_ data: Data) -> UInt64 {
        var hasher = FNV1a()
        data.withUnsafeBytes { hasher.update($0) }
        return hasher.value
    }
}

private final class UpstreamRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let state: UpstreamServer.Locked
    let connection: Int
    var head: HTTPRequestHead?
    var hasher = FNV1a()
    var bytes = 0
    var body = Data()

    init(state: UpstreamServer.Locked, connection: Int) {
        self.state = state
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            hasher = FNV1a()
            bytes = 0
            body = Data()
        case .body(let buffer):
            buffer.withUnsafeReadableBytes { hasher.update($0) }
            bytes += buffer.readableBytes
            if bytes <= 65_536 { body.append(contentsOf: buffer.readableBytesView) }
        case .end:
            guard let head else { return }
            let request = RecordedRequest(
                method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                bodyBytes: bytes, bodyHash: hasher.value, body: bytes <= 65_536 ? body : nil, connection: connection)
            let behaviour = state.withLock { state in
                state.requests.append(request)
                return state.behaviour
            }
            respond(behaviour, to: request, context: context)
        }
    }

    func respond(_ behaviour: UpstreamBehaviour, to request: RecordedRequest, context: ChannelHandlerContext) {
        switch behaviour {
        case .fixed(let status, let headers, let body):
            var fields = HTTPHeaders(headers)
            if !fields.contains(name: "content-length") {
                fields.add(name: "content-length", value: String(body.utf8.count))
            }
            context.write(
                wrapOutboundOut(
                    .head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: fields))),
                promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        case .echo:
            let summary =
                #"{"method":"\#(request.method)","bytes":\#(request.bodyBytes),"hash":"\#(String(request.bodyHash, radix: 16))"}"#
            let fields = HTTPHeaders([
                ("content-type", "application/json"), ("content-length", String(summary.utf8.count)),
            ])
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: fields))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: summary)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        case .stream(let count, let chunked):
            var fields = HTTPHeaders([("content-type", "application/octet-stream")])
            if !chunked { fields.add(name: "content-length", value: String(count)) }
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: fields))), promise: nil)
            writePattern(
                remaining: count, context: context,
                then: { context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil) })
        case .hang:
            break
        case .closeMidResponse(let announced, let sent):
            var fields = HTTPHeaders()
            if let announced { fields.add(name: "content-length", value: String(announced)) }
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: fields))), promise: nil)
            writePattern(remaining: sent, context: context, then: { context.close(promise: nil) })
        case .closeWithoutResponse:
            context.close(promise: nil)
        case .delayed(let milliseconds, let body):
            context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(milliseconds)) {
                self.respond(.fixed(status: 200, headers: [], body: body), to: request, context: context)
            }
        case .held(let body):
            let loop = context.eventLoop
            let answer = NIOLoopBound(
                { self.respond(.fixed(status: 200, headers: [], body: body), to: request, context: context) },
                eventLoop: loop)
            let send: @Sendable () -> Void = { loop.execute { answer.value() } }
            let now = state.withLock { state -> Bool in
                if !state.heldReleased { state.held.append(send) }
                return state.heldReleased
            }
            if now { send() }
        case .answerThenClose(let body):
            let fields = HTTPHeaders([("content-length", String(body.utf8.count))])
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: fields))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .headFirst(let milliseconds, let body):
            let fields = HTTPHeaders([("content-length", String(body.utf8.count))])
            context.writeAndFlush(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: fields))), promise: nil)
            context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(milliseconds)) {
                context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
                context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }

    /// Writes pattern bytes one 64 KiB chunk at a time, each after the previous one left.
    func writePattern(remaining: Int, context: ChannelHandlerContext, then done: @escaping () -> Void) {
        guard remaining > 0 else {
            done()
            return
        }
        let take = min(remaining, UpstreamServer.patternChunk.count)
        let buffer = context.channel.allocator.buffer(bytes: UpstreamServer.patternChunk[0..<take])
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer)))).assumeIsolated().whenComplete { result in
            guard case .success = result else { return }
            self.writePattern(remaining: remaining - take, context: context, then: done)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
