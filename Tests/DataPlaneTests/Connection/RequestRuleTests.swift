import DataPlane
import DataPlaneTesting
import Foundation
import NIOCore
import NIOEmbedded
import Shared
import Testing

/// RFC 9112 rules and the head limits, on the real pipeline at the byte level.
@Suite struct RequestRuleTests {
    func single(_ request: String, limits: ProxyLimits = .defaults) throws -> (EmbeddedProxy, ParsedResponse?) {
        let proxy = try EmbeddedProxy(limits: limits)
        try proxy.send(request)
        return (proxy, try proxy.responses().first)
    }

    @Test func http11WithoutHostIsRefused() throws {
        let (proxy, response) = try single("GET /orchestrator/ro/x HTTP/1.1\r\n\r\n")
        #expect(response?.status == 400)
        #expect(response?.body == #"{"detail":"Missing Host header"}"#)
        #expect(response?.closes == true)
        #expect(proxy.upstream() == nil)
        #expect(!proxy.clientIsOpen)
    }

    @Test func twoHostHeadersAreRefused() throws {
        let (proxy, response) = try single("GET /orchestrator/ro/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        #expect(response?.status == 400)
        #expect(response?.body == #"{"detail":"Multiple Host headers"}"#)
        #expect(proxy.upstream() == nil)
    }

    @Test func http10WithoutHostIsForwarded() throws {
        let (proxy, _) = try single("GET /orchestrator/ro/x HTTP/1.0\r\n\r\n")
        #expect(try proxy.upstream()?.requestHeads().count == 1)
    }

    @Test(arguments: [
        ("/orchestrator/ro/a#frag", "Fragment in request target"),
        ("/orchestrator/ro/a%2Fb", "Encoded slash in request path"),
        ("/orchestrator/ro/a%2fb", "Encoded slash in request path"),
        ("/orchestrator/ro/a%00b", "Encoded NUL in request target"),
        ("/orchestrator/ro/a?x=%00", "Encoded NUL in request target"),
        ("/orchestrator/ro/a\\b", "Backslash in request target"),
    ])
    func suspiciousTargetsAreRefused(target: String, detail: String) throws {
        let (proxy, response) = try single("GET \(target) HTTP/1.1\r\nHost: gw\r\n\r\n")
        #expect(response?.status == 400)
        #expect(response?.body == #"{"detail":"\#(detail)"}"#)
        #expect(response?.closes == true)
        #expect(proxy.upstream() == nil)
    }

    @Test func anEncodedSlashInTheQueryIsForwarded() throws {
        let (proxy, _) = try single("GET /orchestrator/ro/a?next=%2Fhome HTTP/1.1\r\nHost: gw\r\n\r\n")
        #expect(try proxy.upstream()?.requestHeads().first?.hasPrefix("GET /ro/a?next=%2Fhome HTTP/1.1") == true)
    }

    @Test func aTransferCodingOtherThanChunkedGets501() throws {
        let (proxy, response) = try single(
            "POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")
        #expect(response?.status == 501)
        #expect(response?.closes == true)
        #expect(proxy.upstream() == nil)
    }

    @Test func connectIsRefusedWith405() throws {
        let (proxy, response) = try single("CONNECT upstream.test:443 HTTP/1.1\r\nHost: upstream.test:443\r\n\r\n")
        #expect(response?.status == 405)
        #expect(response?.closes == true)
        #expect(proxy.upstream() == nil)
    }

    @Test func aTargetOverMaxURIBytesGets414() throws {
        let long = "/orchestrator/ro/" + String(repeating: "a", count: 9000)
        let (proxy, response) = try single("GET \(long) HTTP/1.1\r\nHost: gw\r\n\r\n")
        #expect(response?.status == 414)
        #expect(response?.body == #"{"detail":"URI too long"}"#)
        #expect(proxy.upstream() == nil)
    }

    @Test func aTargetWithinALoweredLimitPassesAndOneOverItDoesNot() throws {
        var limits = ProxyLimits.defaults
        limits.maxURIBytes = 300
        let ok = "/orchestrator/ro/" + String(repeating: "a", count: 280)
        let (accepted, _) = try single("GET \(ok) HTTP/1.1\r\nHost: gw\r\n\r\n", limits: limits)
        #expect(try accepted.upstream()?.requestHeads().count == 1)
        let (_, refused) = try single("GET \(ok)bbbb HTTP/1.1\r\nHost: gw\r\n\r\n", limits: limits)
        #expect(refused?.status == 414)
    }

    @Test func aHeadOverMaxHeaderBytesGets431() throws {
        let big = String(repeating: "v", count: 20000)
        let (proxy, response) = try single(
            "GET /orchestrator/ro/x HTTP/1.1\r\nHost: gw\r\nX-A: \(big)\r\nX-B: \(big)\r\n\r\n")
        #expect(response?.status == 431)
        #expect(response?.closes == true)
        #expect(proxy.upstream() == nil)
    }

    @Test func aHeadFarOverTheLimitsIsStoppedByTheDecoderWith431() throws {
        let big = String(repeating: "v", count: 200_000)
        let (proxy, response) = try single("GET /orchestrator/ro/x HTTP/1.1\r\nHost: gw\r\nX-A: \(big)\r\n\r\n")
        #expect(response?.status == 431)
        #expect(proxy.upstream() == nil)
        #expect(!proxy.clientIsOpen)
    }

    @Test func moreThanMaxHeadersGets431() throws {
        let fields = (0..<101).map { "X-H\($0): v\r\n" }.joined()
        let (proxy, response) = try single("GET /orchestrator/ro/x HTTP/1.1\r\nHost: gw\r\n\(fields)\r\n")
        #expect(response?.status == 431)
        #expect(response?.body == #"{"detail":"Request header fields too large"}"#)
        #expect(proxy.upstream() == nil)
    }

    @Test func aMalformedChunkSizeBeforeTheResponseGets400AndClosesTheUpstream() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send(
            "POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        let upstream = try #require(proxy.upstream())
        try proxy.send("zz\r\nbad\r\n")
        let responses = try proxy.responses()
        #expect(responses.map(\.status) == [400])
        #expect(responses.first?.body == #"{"detail":"Malformed HTTP request"}"#)
        #expect(responses.first?.closes == true)
        #expect(!upstream.isOpen)
        #expect(!proxy.clientIsOpen)
    }

    @Test func aMalformedChunkAfterTheResponseBeganClosesTheConnection() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send(
            "POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        let upstream = try #require(proxy.upstream())
        try upstream.respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
        try proxy.send("zz\r\nbad\r\n")
        #expect(!proxy.clientIsOpen)
        #expect(!upstream.isOpen)
        // The client got the head and the first chunk, never a terminating chunk.
        #expect(try proxy.clientOutput().hasSuffix("3\r\nabc\r\n"))
    }

    @Test func garbageAfterAValidRequestGetsThatResponseThen400() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send("GET /orchestrator/ro/x HTTP/1.1\r\nHost: gw\r\n\r\n\u{1}\u{2}garbage\r\n\r\n")
        let upstream = try #require(proxy.upstream())
        #expect(proxy.clientIsOpen)
        try upstream.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        let responses = try proxy.responses()
        #expect(responses.map(\.status) == [200, 400])
        #expect(responses.first?.body == "ok")
        #expect(responses.last?.closes == true)
        #expect(!proxy.clientIsOpen)
    }

    @Test func anHTTP10ClientAskingForKeepAliveIsToldSo() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send("GET /orchestrator/ro/x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let upstream = try #require(proxy.upstream())
        try upstream.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        let response = try #require(try proxy.responses().first)
        #expect(response.version == "HTTP/1.0")
        #expect(response.values("connection") == ["keep-alive"])
        #expect(proxy.clientIsOpen)
    }

    @Test func anHTTP10ClientNeverGetsAChunkedResponse() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send("GET /orchestrator/ro/x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let upstream = try #require(proxy.upstream())
        try upstream.respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
        let text = try proxy.clientOutput()
        #expect(text.hasPrefix("HTTP/1.0 200 OK"))
        #expect(!text.lowercased().contains("transfer-encoding"))
        #expect(text.hasSuffix("\r\n\r\nok"))
        #expect(!proxy.clientIsOpen)
    }

    @Test func aGatewayAnswerToAnHTTP10KeepAliveClientSaysKeepAlive() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send("GET /orchestrator/nothing HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let response = try #require(try proxy.responses().first)
        #expect(response.status == 404)
        #expect(response.values("connection") == ["keep-alive"])
        #expect(proxy.clientIsOpen)
    }
}
