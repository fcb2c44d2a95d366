import DataPlane
import NIOCore
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// Requests that ask to switch protocols: what the machine decides and what goes upstream.
@Suite struct UpgradeTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    let routes = RouteTable([.testing("ws", url: "http://backend:8080/", methods: ["GET", "POST"])])

    func head(_ extra: [(String, String)]) -> HTTPRequestHead { head(.GET, extra) }

    func head(_ method: HTTPMethod, _ extra: [(String, String)]) -> HTTPRequestHead {
        HTTPRequestHead(
            version: .http1_1, method: method, uri: "/orchestrator/ws/chat",
            headers: HTTPHeaders([("host", "gw")] + extra))
    }

    static let websocket = [("connection", "Upgrade"), ("upgrade", "websocket")]

    @Test func onlyAGetWhoseConnectionNamesUpgradeIsAnUpgrade() {
        #expect(ProxyConnectionStateMachine.isUpgrade(head(Self.websocket)))
        #expect(!ProxyConnectionStateMachine.isUpgrade(head(.POST, Self.websocket)))
        #expect(!ProxyConnectionStateMachine.isUpgrade(head([("upgrade", "websocket")])))
        #expect(!ProxyConnectionStateMachine.isUpgrade(head([("connection", "keep-alive, upgrade")])))
        #expect(
            ProxyConnectionStateMachine.isUpgrade(head([("connection", "keep-alive, upgrade"), ("upgrade", "h2c")])))
    }

    /// A machine whose upgrade request went whole to an attached upstream.
    func sent(_ request: HTTPRequestHead) -> ProxyConnectionStateMachine {
        var machine = ProxyConnectionStateMachine.admitting(request, routes: routes, now: Self.start)
        _ = machine.upstreamAttached(reused: false, now: Self.start)
        _ = machine.received(.part(.end(nil)), routes: routes, draining: false, now: Self.start)
        return machine
    }

    @Test func a101ToAnUpgradeStartsATunnelAndSettlesTheBreakerAsASuccess() {
        var machine = sent(head(Self.websocket))
        let switching = HTTPResponseHead(
            version: .http1_1, status: .switchingProtocols, headers: ["upgrade": "websocket"])
        guard case .startTunnel(let relayed, let settle) = machine.upstreamResponseHead(switching, now: Self.start)
        else {
            Issue.record("no tunnel")
            return
        }
        #expect(relayed.status == .switchingProtocols)
        #expect(settle?.1 == .success)
        #expect(!machine.shouldReadClient(upstreamWritable: true))
    }

    @Test func a101ToAnOrdinaryRequestIsAnInvalidResponse() {
        var machine = sent(head([]))
        let switching = HTTPResponseHead(version: .http1_1, status: .switchingProtocols)
        guard case .respond(let local) = machine.upstreamResponseHead(switching, now: Self.start) else {
            Issue.record("relayed")
            return
        }
        #expect(local.response?.status == .badGateway)
    }

    @Test func anyAnswerOtherThan101EndsTheConnection() {
        var machine = sent(head(Self.websocket))
        let refused = HTTPResponseHead(version: .http1_1, status: .upgradeRequired, headers: ["content-length": "0"])
        guard case .writeResponseHead(_, let keepAlive, _, _) = machine.upstreamResponseHead(refused, now: Self.start)
        else {
            Issue.record("not relayed")
            return
        }
        #expect(!keepAlive, "the decoder reads nothing more after an upgrade request")
    }

    @Test func theUpstreamGetsTheUpgradeAndTheClientTheProtocolConfirmed() {
        let upstream = HeaderRewriter.upstreamHead(
            for: head(Self.websocket + [("sec-websocket-key", "k")]), framing: .none, target: "/chat",
            context: .init(clientIP: nil, upstreamAuthority: "backend:8080", requestID: "r", upgrade: true))
        #expect(upstream.headers["upgrade"] == ["websocket"])
        #expect(upstream.headers["connection"] == ["upgrade"])
        #expect(upstream.headers["sec-websocket-key"] == ["k"])
        let plain = HeaderRewriter.upstreamHead(
            for: head(Self.websocket), framing: .none, target: "/chat",
            context: .init(clientIP: nil, upstreamAuthority: "backend:8080", requestID: "r"))
        #expect(plain.headers["upgrade"].isEmpty)

        let switching = HTTPResponseHead(
            version: .http1_1, status: .switchingProtocols,
            headers: ["upgrade": "websocket", "connection": "Upgrade", "sec-websocket-accept": "a"])
        let client = HeaderRewriter.clientHead(for: switching, requestID: "r", endpointID: "ws", keepAlive: true)
        #expect(client.headers["upgrade"] == ["websocket"])
        #expect(client.headers["connection"] == ["upgrade"])
        #expect(client.headers["sec-websocket-accept"] == ["a"])
    }
}
