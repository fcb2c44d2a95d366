import DataPlane
import DataPlaneTesting
import Logging
import NIOCore
import NIOEmbedded
import Shared
import Testing

/// The HTTP/2 connection pipeline at the byte level (no TLS): frames a client would send, in,
/// and the frame types the proxy answers with, out.
@Suite struct HTTP2ConnectionTests {
    /// An HTTP/2 connection as the TLS listener configures it after ALPN `h2`.
    final class Connection {
        let loop = EmbeddedEventLoop()
        let state: LoopState
        let channel: EmbeddedChannel
        let connector: EmbeddedUpstreamConnector
        private var written: [UInt8] = []

        init(draining: Bool = false) throws {
            connector = EmbeddedUpstreamConnector(loop: loop)
            let environment = ProxyEnvironment(replicaID: "test", tlsContext: nil, upstreamConnector: connector)
            state = LoopState(eventLoop: loop, environment: environment)
            state.routes = ProxyRoutes(
                snapshot: Snapshot(
                    version: 1, createdAt: "2026-01-01T00:00:00Z", cause: "test", endpoints: EmbeddedProxy.endpoints))
            state.draining = draining
            channel = EmbeddedChannel(loop: loop)
            try channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 40000)).wait()
            try ProxyServer.configureHTTP2(
                channel, states: .single(state, on: loop), environment: environment, handshakeDeadline: nil,
                logger: Logger(label: "test"))
            try send(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + Self.frame(type: 0x4, flags: 0, stream: 0, []))
        }

        static func frame(type: UInt8, flags: UInt8, stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
            let length = UInt32(payload.count)
            return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags]
                + [
                    UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff),
                    UInt8(stream & 0xff),
                ]
                + payload
        }

        /// HEADERS for `GET /` (HPACK static-table entries and a literal `:authority: a`), not ending the stream.
        static func headers(stream: UInt32) -> [UInt8] {
            frame(type: 0x1, flags: 0x4, stream: stream, [0x82, 0x87, 0x84, 0x41, 0x01, UInt8(ascii: "a")])
        }

        /// HEADERS for `GET /orchestrator/svc/items`, ending the stream: a request the proxy forwards.
        static func routedRequest(stream: UInt32) -> [UInt8] {
            let path = Array("/orchestrator/svc/items".utf8)
            return frame(
                type: 0x1, flags: 0x5, stream: stream,
                [0x82, 0x87, 0x04, UInt8(path.count)] + path + [0x41, 0x01, UInt8(ascii: "a")])
        }

        /// RST_STREAM with CANCEL.
        static func reset(stream: UInt32) -> [UInt8] {
            frame(type: 0x3, flags: 0, stream: stream, [0, 0, 0, 0x8])
        }

        func send(_ bytes: [UInt8]) throws {
            try channel.writeInbound(ByteBuffer(bytes: bytes))
            loop.run()
        }

        /// The type and payload of every frame the proxy wrote so far.
        func frames() throws -> [(type: UInt8, payload: [UInt8])] {
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
                written.append(contentsOf: buffer.readableBytesView)
            }
            var frames: [(type: UInt8, payload: [UInt8])] = []
            var index = 0
            while index + 9 <= written.count {
                let length = Int(written[index]) << 16 | Int(written[index + 1]) << 8 | Int(written[index + 2])
                guard index + 9 + length <= written.count else { break }
                frames.append((written[index + 3], Array(written[(index + 9)..<(index + 9 + length)])))
                index += 9 + length
            }
            return frames
        }

        /// The error code of the first GOAWAY written, if any.
        func goAwayErrorCode() throws -> UInt32? {
            guard let payload = try frames().first(where: { $0.type == 0x7 })?.payload, payload.count >= 8 else {
                return nil
            }
            return payload[4..<8].reduce(0) { $0 << 8 | UInt32($1) }
        }
    }

    @Test func theConnectionAnnouncesItsStreamLimitAndIsCountedOnce() throws {
        let connection = try Connection()
        let settings = try #require(try connection.frames().first { $0.type == 0x4 && !$0.payload.isEmpty })
        var announced: [UInt16: UInt32] = [:]
        for offset in stride(from: 0, to: settings.payload.count, by: 6) {
            let bytes = settings.payload[offset..<(offset + 6)].map { UInt32($0) }
            announced[UInt16(bytes[0] << 8 | bytes[1])] = bytes[2] << 24 | bytes[3] << 16 | bytes[4] << 8 | bytes[5]
        }
        #expect(announced[0x3] == 100)  // SETTINGS_MAX_CONCURRENT_STREAMS
        #expect(announced[0x6] == UInt32(HTTP2Limits.maximumHeaderListSize(.defaults)))
        #expect(connection.state.traffic.activeConnections == 1)
        try connection.send(Connection.headers(stream: 1))
        #expect(connection.state.traffic.activeConnections == 1)
    }

    @Test func aRapidResetFloodClosesTheConnectionWithGoAway() throws {
        let connection = try Connection()
        var stream: UInt32 = 1
        for _ in 0..<HTTP2Limits.maximumResets {
            try connection.send(Connection.headers(stream: stream) + Connection.reset(stream: stream))
            stream += 2
        }
        #expect(connection.channel.isActive)
        #expect(try connection.goAwayErrorCode() == nil)
        try connection.send(Connection.headers(stream: stream) + Connection.reset(stream: stream))
        #expect(try connection.goAwayErrorCode() == 0xb)  // ENHANCE_YOUR_CALM
        #expect(!connection.channel.isActive)
    }

    @Test func aDrainSendsGoAwayAndTheIdleConnectionClosesAfterTheGrace() throws {
        let connection = try Connection()
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        connection.loop.run()
        #expect(try connection.goAwayErrorCode() == 0)  // NO_ERROR
        #expect(try connection.frames().filter { $0.type == 0x7 }.count == 1)
        #expect(try !connection.frames().contains { $0.type == 0x6 })
        // After the grace, NIOHTTP2's own double GOAWAY: GOAWAY and a PING; once the client
        // acknowledges the PING, with no stream open, the connection closes.
        connection.loop.advanceTime(by: HTTP2DrainNoticeHandler.grace)
        let ping = try #require(try connection.frames().first { $0.type == 0x6 })
        #expect(try connection.frames().filter { $0.type == 0x7 }.count == 2)
        #expect(connection.channel.isActive)
        try connection.send(Connection.frame(type: 0x6, flags: 0x1, stream: 0, ping.payload))
        connection.loop.run()
        #expect(!connection.channel.isActive)
    }

    @Test func aStreamTheClientOpensBeforeItSeesTheDrainsGoAwayIsServedNotRefused() throws {
        let connection = try Connection()
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        connection.loop.run()
        #expect(try connection.goAwayErrorCode() == 0)
        // GET / with END_STREAM, crossing the GOAWAY on the wire: answered (HEADERS on stream 1).
        try connection.send(
            Connection.frame(type: 0x1, flags: 0x5, stream: 1, [0x82, 0x87, 0x84, 0x41, 0x01, UInt8(ascii: "a")]))
        let frames = try connection.frames()
        #expect(frames.contains { $0.type == 0x1 })
        #expect(!frames.contains { $0.type == 0x3 })  // no RST_STREAM (REFUSED_STREAM)
    }

    @Test func aConnectionNegotiatedAfterTheDrainBeganGetsTheDrainsGoAway() throws {
        let connection = try Connection(draining: true)
        #expect(try connection.goAwayErrorCode() == 0)
    }

    @Test func streamsResetInTheReadThatOpenedThemCostNoUpstreamConnection() throws {
        let connection = try Connection()
        var flood: [UInt8] = []
        for stream in stride(from: UInt32(1), through: 19, by: 2) {
            flood += Connection.routedRequest(stream: stream) + Connection.reset(stream: stream)
        }
        try connection.send(flood)
        #expect(connection.connector.opened.isEmpty, "\(connection.connector.opened.count) upstream connections")
        // A stream still open at the end of its read gets its upstream.
        try connection.send(Connection.routedRequest(stream: 21))
        #expect(connection.connector.opened.count == 1)
    }
}
