import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Shared
import TestSupport
import Testing

/// The edge rules on a real replica process with a real upstream: what only the whole system
/// shows (sockets, many connections, the timer sweep on real time).
@Suite(.endToEnd) struct EdgeEndToEndTests {
    /// A replica whose cached snapshot carries short client timeouts.
    static func withProxy(
        limits: ProxyLimits, _ body: (DataPlaneHarness, UpstreamServer) async throws -> Void
    ) async throws {
        let upstream = try await UpstreamServer.start(.echo)
        let snapshot = Snapshot(
            version: 1, createdAt: Timestamp.string(), cause: "test",
            endpoints: [.testing("ro", url: upstream.baseURL + "/ro", methods: ["GET"])],
            proxy: limits == .defaults ? nil : limits)
        let dataPlane: DataPlaneHarness
        do {
            dataPlane = try await DataPlaneHarness.start(cachedSnapshot: snapshot)
        } catch {
            await upstream.stop()
            throw error
        }
        do {
            try await body(dataPlane, upstream)
        } catch {
            print(dataPlane.process.logTail)
            dataPlane.stop()
            await upstream.stop()
            throw error
        }
        dataPlane.stop()
        await upstream.stop()
    }

    @Test func theSmugglingRequestReachesTheUpstreamAsAtMostOneRequest() async throws {
        try await Self.withProxy(limits: .defaults) { proxy, upstream in
            let smuggled = "DELETE /admin HTTP/1.1\r\nHost: victim\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n"
            let response = try await DataPlaneRawClient.exchange(
                port: proxy.port,
                "GET /orchestrator/ro/x HTTP/1.1\r\nHost: gw\r\nConnection: keep-alive, content-length\r\n"
                    + "Content-Length: \(smuggled.utf8.count)\r\n\r\n\(smuggled)")
            #expect(response.status == 400)
            #expect(response.closedByServer)
            // A normal request afterwards is the first and only one the upstream sees.
            let normal = try await DataPlaneRawClient.exchange(
                port: proxy.port, "GET /orchestrator/ro/after HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
            #expect(normal.status == 200)
            let seen = try await upstream.waitForRequests(1)
            #expect(seen.map(\.uri) == ["/ro/after"])
            #expect(!upstream.requests.contains { $0.method == "DELETE" })
        }
    }

    @Test func halfHeadsDoNotDelayANormalClientAndAreClosedAfterHeaderTimeout() async throws {
        var limits = ProxyLimits.defaults
        limits.headerTimeout = 3
        try await Self.withProxy(limits: limits) { proxy, _ in
            // Every half head is sent after `started`, so none may be closed before
            // `started` + header_timeout (less the sweep's resolution).
            let started = ContinuousClock.now
            let holders = try await HalfHeadClients.open(2000, port: proxy.port)
            defer { holders.closeAll() }
            let asked = ContinuousClock.now
            let served = try await DataPlaneRawClient.exchange(
                port: proxy.port, "GET /orchestrator/ro/x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
            let waited = ContinuousClock.now - asked
            #expect(served.status == 200)
            #expect(waited < .seconds(1), "a normal client waited \(waited) behind 2,000 half heads")
            _ = try await eventually("2,000 half-head connections closed", timeout: 60) {
                holders.closedCount == 2000 ? true : nil
            }
            let firstClose = try #require(holders.firstClose)
            #expect(firstClose - started >= .milliseconds(2500), "a connection was closed before header_timeout")
            #expect(holders.timeoutAnswers == 2000, "each got 408 before the close")
        }
    }

    @Test func anIdleKeepAliveConnectionIsClosedAfterIdleTimeout() async throws {
        var limits = ProxyLimits.defaults
        limits.idleTimeout = 2
        try await Self.withProxy(limits: limits) { proxy, _ in
            // Taken before the request goes: the idle wait starts after its response.
            let sent = ContinuousClock.now
            let holders = try await HalfHeadClients.open(
                1, port: proxy.port, sending: "GET /orchestrator/ro/x HTTP/1.1\r\nHost: gw\r\n\r\n")
            defer { holders.closeAll() }
            _ = try await eventually("idle connection closed", timeout: 30) { holders.closedCount == 1 ? true : nil }
            #expect(ContinuousClock.now - sent >= .milliseconds(1500), "closed before idle_timeout")
            #expect(holders.received.hasPrefix("HTTP/1.1 200 OK"))
            #expect(holders.timeoutAnswers == 0, "an idle connection is closed without a response")
        }
    }
}

extension EdgeEndToEndTests {
    @Test func atMaxConnectionsTheReplicaStopsAcceptingUntilOneCloses() async throws {
        var limits = ProxyLimits.defaults
        limits.maxConnections = 2
        try await Self.withProxy(limits: limits) { proxy, _ in
            let request = "GET /orchestrator/ro/x HTTP/1.1\r\nHost: gw\r\n\r\n"
            let first = try await HalfHeadClients.open(1, port: proxy.port, sending: request)
            let second = try await HalfHeadClients.open(1, port: proxy.port, sending: request)
            defer { second.closeAll() }
            _ = try await eventually("both served", timeout: 30) {
                first.received.contains("200 OK") && second.received.contains("200 OK") ? true : nil
            }
            // The third connection waits in the kernel's queue: nothing reads its request.
            let third = try await HalfHeadClients.open(1, port: proxy.port, sending: request)
            defer { third.closeAll() }
            try await Task.sleep(for: .seconds(1))
            #expect(third.received.isEmpty, "served beyond max_connections")
            first.closeAll()
            _ = try await eventually("third served once a connection closed", timeout: 30) {
                third.received.contains("200 OK") ? true : nil
            }
        }
    }
}

/// Many raw connections that each send a fixed text (by default half a request head) and then
/// nothing; counts closes and 408 answers.
final class HalfHeadClients: @unchecked Sendable {
    private let lock = NIOLock()
    private var channels: [any Channel] = []
    private var closed = 0
    private var firstClosed: ContinuousClock.Instant?
    private var answers408 = 0
    private var text = ""

    var closedCount: Int { lock.withLock { closed } }
    /// When the first connection was closed.
    var firstClose: ContinuousClock.Instant? { lock.withLock { firstClosed } }
    var timeoutAnswers: Int { lock.withLock { answers408 } }
    var received: String { lock.withLock { text } }

    static func open(
        _ count: Int, port: Int, sending: String = "GET /orchestrator/ro/x HTTP/1.1\r\nHost: g"
    ) async throws -> HalfHeadClients {
        let clients = HalfHeadClients()
        for _ in 0..<count {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(Recorder(clients: clients))
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
            clients.lock.withLock { clients.channels.append(channel) }
            // On a loaded machine the replica may already have closed an early connection (its
            // header timeout runs from accept); the recorder counts that close.
            try? await channel.writeAndFlush(ByteBuffer(string: sending))
        }
        return clients
    }

    func closeAll() {
        for channel in lock.withLock({ channels }) { channel.close(promise: nil) }
    }

    private final class Recorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let clients: HalfHeadClients
        init(clients: HalfHeadClients) { self.clients = clients }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text = String(buffer: unwrapInboundIn(data))
            clients.lock.withLock {
                clients.text += text
                if text.hasPrefix("HTTP/1.1 408") { clients.answers408 += 1 }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            clients.lock.withLock {
                clients.closed += 1
                if clients.firstClosed == nil { clients.firstClosed = .now }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
