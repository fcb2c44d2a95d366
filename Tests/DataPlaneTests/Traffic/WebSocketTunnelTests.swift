import Foundation
import NIOCore
import NIOWebSocket
import Shared
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// WebSocket (and other upgrades) through a real replica: the handshake is forwarded, and after
/// the upstream's 101 both connections are one byte tunnel.
@Suite(.endToEnd) struct WebSocketTunnelTests {
    static func endpoint(_ base: String, idle: Int? = nil) -> SnapshotEndpoint {
        SnapshotEndpoint(
            config: EndpointConfig(name: "ws", url: base + "/", methods: ["GET"], tunnelIdleTimeout: idle),
            owner: .api, circuitBreaker: .defaults, healthCheck: .defaults, health: .unknown, status: .active)
    }

    /// The next frame the client receives, within a generous deadline.
    static func next(_ iterator: inout AsyncStream<WebSocketFrame>.Iterator) async -> WebSocketFrame? {
        await iterator.next()
    }

    @Test func textBinaryAOneMebibyteMessageAndCloseEchoThroughTheGateway() async throws {
        let server = try await WebSocketEchoServer.start()
        let replica = try DataPlaneInheritedSocket.start(
            cachedSnapshot: .testing(version: 1, [Self.endpoint(server.baseURL)]))
        defer { replica.stop() }
        let client = try await WebSocketTestClient.connect(port: replica.port, path: "/orchestrator/ws/chat")
        var frames = client.frames.makeAsyncIterator()

        try await client.send(.text, Array("hello".utf8))
        let text = try #require(await Self.next(&frames))
        #expect(text.opcode == .text)
        #expect(String(buffer: text.data) == "hello")

        try await client.send(.binary, [0, 1, 2, 255])
        let binary = try #require(await Self.next(&frames))
        #expect(binary.opcode == .binary)
        #expect(Array(buffer: binary.data) == [0, 1, 2, 255])

        let large = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try await client.send(.binary, large)
        let echoed = try #require(await Self.next(&frames))
        #expect(echoed.data.readableBytes == large.count)
        #expect(Array(buffer: echoed.data) == large)

        try await client.send(.close, [0x03, 0xE8])
        let close = try #require(await Self.next(&frames))
        #expect(close.opcode == .connectionClose)
        #expect(await Self.next(&frames) == nil, "the tunnel closes with the upstream")
        #expect(server.upgrades == 1)
        await client.close()
        await server.stop()
    }

    @Test func aNon101AnswerToAnUpgradeIsRelayedAsANormalResponseAndTheConnectionCloses() async throws {
        let upstream = try await UpstreamServer.start(.fixed(status: 426, headers: [], body: "no upgrade here"))
        let replica = try DataPlaneInheritedSocket.start(
            cachedSnapshot: .testing(version: 1, [Self.endpoint(upstream.baseURL)]))
        defer { replica.stop() }
        let refused = await #expect(throws: WebSocketHandshakeRefused.self) {
            try await WebSocketTestClient.connect(port: replica.port, path: "/orchestrator/ws/chat")
        }
        #expect(refused?.status == 426)
        let request = try #require(try await upstream.waitForRequests(1).first)
        #expect(request.first("upgrade") == "websocket")
        #expect(request.first("connection")?.lowercased() == "upgrade")
        await upstream.stop()
    }

    @Test func aQuietTunnelClosesAfterItsIdleTimeout() async throws {
        let server = try await WebSocketEchoServer.start()
        let replica = try DataPlaneInheritedSocket.start(
            cachedSnapshot: .testing(version: 1, [Self.endpoint(server.baseURL, idle: 1)]))
        defer { replica.stop() }
        let client = try await WebSocketTestClient.connect(port: replica.port, path: "/orchestrator/ws/chat")
        var frames = client.frames.makeAsyncIterator()
        try await client.send(.text, Array("ping".utf8))
        #expect(await Self.next(&frames) != nil)
        // Nothing more is sent: the tunnel ends (the stream finishes) after about a second.
        #expect(await Self.next(&frames) == nil)
        await client.close()
        await server.stop()
    }

    @Test func aTunnelSurvivesASnapshotChangeAndTheDrainClosesItAtTheDeadline() async throws {
        let server = try await WebSocketEchoServer.start()
        let directory = try TestDirectory()
        let control = try await DataPlaneControlServer.start(path: directory.file("cp.sock").path)
        let replica = try DataPlaneInheritedSocket.start(
            cachedSnapshot: .testing(version: 1, [Self.endpoint(server.baseURL)]), directory: directory,
            drainTimeout: 2)
        defer { replica.stop() }
        let connection = try await control.accept(timeout: 60)
        let client = try await WebSocketTestClient.connect(port: replica.port, path: "/orchestrator/ws/chat")
        var frames = client.frames.makeAsyncIterator()

        // The endpoint leaves the snapshot: the tunnel keeps going.
        try await connection.send(.snapshot(.testing(version: 2, [])))
        _ = try await eventually("the replica serves version 2") { () -> Bool? in
            let health = try? await TestHTTP.request(.GET, "http://127.0.0.1:\(replica.port)/health")
            return health?.json["snapshot_version"] as? Int == 2 ? true : nil
        }
        try await client.send(.text, Array("still here".utf8))
        #expect(await Self.next(&frames).map { String(buffer: $0.data) } == "still here")

        // Draining waits for the tunnel until the deadline, then closes it.
        replica.signal(SIGTERM)
        try await client.send(.text, Array("during the drain".utf8))
        #expect(await Self.next(&frames).map { String(buffer: $0.data) } == "during the drain")
        #expect(await Self.next(&frames) == nil, "closed at the drain deadline")
        let status = replica.waitForExit(timeout: 30)
        #expect(status == 0, "\(replica.errorOutput)")
        await client.close()
        await connection.close()
        await control.stop()
        await server.stop()
    }
}
