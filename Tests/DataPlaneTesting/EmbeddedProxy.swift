import DataPlane
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTP2
import Shared

/// One client connection of the real proxy pipeline on an `EmbeddedChannel`, with every upstream
/// connection it opens on an embedded channel of the same loop: bytes in, bytes out, time moved
/// by hand. No sockets, no processes.
package final class EmbeddedProxy {
    package let loop = EmbeddedEventLoop()
    package let connector: EmbeddedUpstreamConnector
    package let state: LoopState
    package let client: EmbeddedChannel
    package let breakers = BreakerRegistry()
    private var received: [UInt8] = []
    /// What the proxy wrote on an HTTP/2 stream client so far.
    var streamPayloads: [HTTP2Frame.FramePayload] = []

    /// - Parameter transport: `.http1` and `.http1TLS`: the client channel carries HTTP/1.1 bytes
    ///   (TLS itself is not there); `.h2TLS`: it is one HTTP/2 stream, carrying frame payloads
    ///   (see `EmbeddedProxy+HTTP2.swift`).
    package init(
        endpoints: [SnapshotEndpoint] = EmbeddedProxy.endpoints, limits: ProxyLimits = .defaults,
        transport: ClientTransport = .http1
    ) throws {
        connector = EmbeddedUpstreamConnector(loop: loop)
        let environment = ProxyEnvironment(
            replicaID: "test", tlsContext: nil, breakers: breakers, upstreamConnector: connector)
        state = LoopState(eventLoop: loop, environment: environment)
        state.routes = ProxyRoutes(
            snapshot: Snapshot(version: 1, createdAt: "2026-01-01T00:00:00Z", cause: "test", endpoints: endpoints))
        state.limits = limits
        client = EmbeddedChannel(loop: loop)
        switch transport {
        case .http1:
            try ProxyServer.configure(
                client, states: .single(state, on: loop), environment: environment,
                logger: Logger(label: "test")
            ).wait()
        case .http1TLS:
            try ProxyServer.configureHTTP1(
                client.pipeline.syncOperations, loop: state, environment: environment, transport: .http1TLS,
                logger: Logger(label: "test"))
        case .h2TLS:
            try Self.configureStream(client, state: state, environment: environment)
        }
        try client.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 40000)).wait()
    }

    /// The endpoints most byte-level tests use.
    package static let endpoints: [SnapshotEndpoint] = [
        endpoint("svc", url: "http://upstream.test:8080/api", methods: EndpointConfig.allowedMethods, timeout: 5),
        endpoint("ro", url: "http://upstream.test:8080/ro", methods: ["GET"]),
    ]

    /// An active endpoint with default policies.
    package static func endpoint(_ name: String, url: String, methods: [String], timeout: Int = 30) -> SnapshotEndpoint
    {
        SnapshotEndpoint(
            config: EndpointConfig(name: name, url: url, methods: methods, timeout: timeout),
            owner: .api, circuitBreaker: .defaults, healthCheck: .defaults, health: .unknown, status: .active)
    }

    /// Sends raw bytes from the client.
    package func send(_ text: String) throws {
        try client.writeInbound(ByteBuffer(string: text))
    }

    /// Sends raw bytes from the client, as one read.
    package func send(bytes: some Sequence<UInt8>) throws {
        try client.writeInbound(ByteBuffer(bytes: bytes))
    }

    /// Everything the proxy wrote to the client so far.
    package func clientOutputBytes() throws -> [UInt8] {
        while let buffer = try client.readOutbound(as: ByteBuffer.self) {
            received.append(contentsOf: buffer.readableBytesView)
        }
        return received
    }

    /// Everything the proxy wrote to the client so far, as text.
    package func clientOutput() throws -> String {
        String(decoding: try clientOutputBytes(), as: UTF8.self)
    }

    /// The responses the client received so far.
    package func responses() throws -> [ParsedResponse] {
        ParsedResponse.all(in: try clientOutput())
    }

    /// The `n`th upstream connection opened (0-based).
    package func upstream(_ index: Int = 0) -> EmbeddedUpstream? {
        index < connector.opened.count ? connector.opened[index] : nil
    }

    package var clientIsOpen: Bool { client.isActive }

    /// Moves the loop's clock, firing due timers.
    package func advance(by amount: TimeAmount) {
        loop.advanceTime(by: amount)
    }

    /// Closes every connection and stops the loop's timers, so that nothing of this proxy stays
    /// alive (a fuzz target builds one per input).
    package func shutdown() {
        if client.isActive { try? client.close().wait() }
        for upstream in connector.opened where upstream.isOpen { upstream.close() }
        state.timers.stop()
        try? loop.syncShutdownGracefully()
    }
}

/// One upstream connection: what the proxy sent it, and a way to answer.
package final class EmbeddedUpstream {
    package let channel: EmbeddedChannel
    private var sent: [UInt8] = []

    package init(channel: EmbeddedChannel) {
        self.channel = channel
    }

    /// Everything the proxy sent on this connection so far.
    package func requestBytes() throws -> [UInt8] {
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            sent.append(contentsOf: buffer.readableBytesView)
        }
        return sent
    }

    /// Everything the proxy sent on this connection so far, as text.
    package func requestText() throws -> String {
        String(decoding: try requestBytes(), as: UTF8.self)
    }

    /// Request heads sent on this connection (each request line and its header lines).
    package func requestHeads() throws -> [String] {
        let text = try requestText()
        return text.components(separatedBy: "\r\n\r\n").filter {
            $0.range(of: #"^[A-Z]+ \S+ HTTP/1\.[01]"#, options: .regularExpression) != nil
        }
    }

    /// The upstream answers with raw bytes.
    package func respond(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// The upstream answers with raw bytes, as one read.
    package func respond(bytes: some Sequence<UInt8>) throws {
        try channel.writeInbound(ByteBuffer(bytes: bytes))
    }

    /// The upstream closes the connection.
    package func close() {
        try? channel.close().wait()
    }

    package var isOpen: Bool { channel.isActive }
}

/// Opens "upstream connections" as embedded channels on the proxy's loop.
package final class EmbeddedUpstreamConnector: UpstreamConnector, @unchecked Sendable {
    package struct Refused: Error {}

    let loop: EmbeddedEventLoop
    package private(set) var opened: [EmbeddedUpstream] = []
    /// Connection attempts fail (as if refused) while set.
    package var refuse = false

    package init(loop: EmbeddedEventLoop) {
        self.loop = loop
    }

    package func connect(
        host: String, port: Int, timeout: TimeAmount, on eventLoop: any EventLoop,
        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<any Channel> {
        if refuse { return loop.makeFailedFuture(Refused()) }
        let channel = EmbeddedChannel(loop: loop)
        do {
            try initializer(channel).wait()
            try channel.connect(to: SocketAddress(ipAddress: "198.51.100.1", port: port)).wait()
        } catch {
            return loop.makeFailedFuture(error)
        }
        opened.append(EmbeddedUpstream(channel: channel))
        return loop.makeSucceededFuture(channel)
    }
}

/// An HTTP/1.1 response read back from raw bytes (for assertions).
package struct ParsedResponse {
    package var status: Int
    package var version: String
    package var headers: [(String, String)]
    package var body: String
    package var chunked: Bool

    package func values(_ name: String) -> [String] {
        headers.filter { $0.0 == name.lowercased() }.map(\.1)
    }

    /// Whether the response said `Connection: close`.
    package var closes: Bool { values("connection").contains { $0.lowercased() == "close" } }

    /// Every complete response in `text`, in order (bodies by Content-Length or chunked).
    package static func all(in text: String) -> [ParsedResponse] {
        var responses: [ParsedResponse] = []
        var rest = Substring(text)
        while let headEnd = rest.range(of: "\r\n\r\n") {
            let lines = rest[..<headEnd.lowerBound].components(separatedBy: "\r\n")
            let statusParts = lines[0].split(separator: " ")
            guard statusParts.count >= 2, let status = Int(statusParts[1]) else { break }
            var headers: [(String, String)] = []
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers.append(
                    (
                        line[..<colon].lowercased(),
                        line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    ))
            }
            var response = ParsedResponse(
                status: status, version: String(statusParts[0]), headers: headers, body: "", chunked: false)
            rest = rest[headEnd.upperBound...]
            if status == 100 {
                continue
            }
            if let length = response.values("content-length").first.flatMap({ Int($0) }) {
                guard rest.utf8.count >= length else { break }
                let end = rest.utf8.index(rest.startIndex, offsetBy: length)
                response.body = String(rest[..<end])
                rest = rest[end...]
            } else if response.values("transfer-encoding").contains("chunked") {
                response.chunked = true
                var body = ""
                var complete = false
                while let sizeEnd = rest.range(of: "\r\n"), let size = Int(rest[..<sizeEnd.lowerBound], radix: 16) {
                    rest = rest[sizeEnd.upperBound...]
                    if size == 0 {
                        if let trailerEnd = rest.range(of: "\r\n") { rest = rest[trailerEnd.upperBound...] }
                        complete = true
                        break
                    }
                    guard rest.utf8.count >= size + 2 else { break }
                    let end = rest.utf8.index(rest.startIndex, offsetBy: size)
                    body += rest[..<end]
                    rest = rest[rest.utf8.index(end, offsetBy: 2)...]
                }
                guard complete else { break }
                response.body = body
            }
            responses.append(response)
        }
        return responses
    }
}
