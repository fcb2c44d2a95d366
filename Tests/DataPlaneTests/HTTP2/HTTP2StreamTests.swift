import DataPlane
import DataPlaneTesting
import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Shared
import Testing

/// One HTTP/2 stream through the proxy at the frame level: NIOHTTP2's HTTP/1 codec and a
/// ``ProxyServerHandler`` on an embedded channel, an HTTP/1.1 upstream on another. The stream
/// carries one request, its response ends the stream, and no connection header reaches it.
@Suite struct HTTP2StreamTests {
    static let connectionHeaders = ["connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"]

    @Test func aGETBecomesAnHTTP1RequestAndItsResponseEndsTheStreamWithoutConnectionHeaders() throws {
        let proxy = try EmbeddedProxy(transport: .h2TLS)
        try proxy.sendHeaders(
            "GET", "/orchestrator/svc/items?x=1", authority: "gw.test:8443", headers: [("x-request-id", "trace-1")],
            endStream: true)
        let upstream = try #require(proxy.upstream())
        let request = try upstream.requestText().lowercased()
        #expect(request.hasPrefix("get /api/items?x=1 http/1.1\r\n"))
        #expect(request.contains("\r\nhost: upstream.test:8080\r\n"))
        #expect(request.contains("\r\nx-forwarded-proto: https\r\n"))
        #expect(request.contains("\r\nx-forwarded-host: gw.test:8443\r\n"))
        #expect(request.contains("\r\nx-request-id: trace-1\r\n"))
        #expect(!request.contains("content-length") && !request.contains("transfer-encoding"))

        try upstream.respond(
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nok")
        let response = try proxy.streamResponse()
        #expect(response.status == 200)
        #expect(response.body == "ok")
        #expect(response.ended)
        #expect(response.values("x-request-id") == ["trace-1"])
        #expect(response.values("x-endpoint-id") == ["svc"])
        for name in Self.connectionHeaders { #expect(response.values(name).isEmpty, "\(name) on a stream") }
        #expect(!proxy.clientIsOpen, "the stream is done")
        // Counted as an HTTP/2 request over TLS; a stream is not a connection.
        #expect(proxy.state.traffic.requestsByTransport == [0, 0, 1])
        #expect(proxy.state.traffic.activeConnections == 0)
        proxy.shutdown()
    }

    @Test func aChunkedUpstreamResponseBecomesDataFrames() throws {
        let proxy = try EmbeddedProxy(transport: .h2TLS)
        try proxy.sendHeaders("GET", "/orchestrator/svc/stream", endStream: true)
        let upstream = try #require(proxy.upstream())
        try upstream.respond(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        let response = try proxy.streamResponse()
        #expect(response.status == 200)
        #expect(response.body == "hello world")
        #expect(response.ended)
        #expect(response.values("transfer-encoding").isEmpty)
        proxy.shutdown()
    }

    @Test func aBodyWithoutContentLengthIsSentChunkedAndOneWithItKeepsIt() throws {
        let proxy = try EmbeddedProxy(transport: .h2TLS)
        try proxy.sendHeaders("POST", "/orchestrator/svc/upload", endStream: false)
        try proxy.sendData("hello", endStream: false)
        try proxy.sendData(" there", endStream: true)
        let upstream = try #require(proxy.upstream())
        let request = try upstream.requestText().lowercased()
        #expect(request.hasPrefix("post /api/upload http/1.1\r\n"))
        #expect(request.contains("\r\ntransfer-encoding: chunked\r\n"))
        #expect(!request.contains("content-length"))
        #expect(request.hasSuffix("5\r\nhello\r\n6\r\n there\r\n0\r\n\r\n"))
        try upstream.respond("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
        #expect(try proxy.streamResponse().status == 201)
        proxy.shutdown()

        let sized = try EmbeddedProxy(transport: .h2TLS)
        try sized.sendHeaders("PUT", "/orchestrator/svc/item", headers: [("content-length", "5")], endStream: false)
        try sized.sendData("hello", endStream: true)
        let text = try #require(sized.upstream()).requestText().lowercased()
        #expect(text.contains("\r\ncontent-length: 5\r\n"))
        #expect(!text.contains("transfer-encoding"))
        #expect(text.hasSuffix("\r\n\r\nhello"))
        sized.shutdown()
    }

    @Test func dataAfterTheHeadersOfABodilessGETIsRefusedAndNeverReachesTheUpstream() throws {
        let proxy = try EmbeddedProxy(transport: .h2TLS)
        try proxy.sendHeaders("GET", "/orchestrator/svc/x", endStream: false)
        let smuggled = "DELETE /admin HTTP/1.1\r\nHost: upstream.test\r\n\r\n"
        try proxy.sendData(smuggled, endStream: true)
        let response = try proxy.streamResponse()
        #expect(response.status == 400)
        #expect(response.body.contains("Request body without Content-Length"))
        for upstream in (0..<4).compactMap({ proxy.upstream($0) }) {
            #expect(!(try upstream.requestText()).contains("DELETE"))
            #expect(!upstream.isOpen)
        }
        proxy.shutdown()
    }

    @Test func cookieFieldsAreJoinedIntoOneLineForTheUpstream() throws {
        let proxy = try EmbeddedProxy(transport: .h2TLS)
        try proxy.sendHeaders(
            "GET", "/orchestrator/svc/c", headers: [("cookie", "a=1"), ("x-other", "y"), ("cookie", "b=2")],
            endStream: true)
        let request = try #require(proxy.upstream()).requestText().lowercased()
        #expect(request.components(separatedBy: "\r\ncookie: ").count == 2)
        #expect(request.contains("\r\ncookie: a=1; b=2\r\n"))
        proxy.shutdown()
    }

    @Test func aStalledBodyOnAStreamGets408AfterBodyTimeout() throws {
        let limits = ProxyLimits(headerTimeout: 2, bodyTimeout: 3, idleTimeout: 5, sendTimeout: 4)
        let proxy = try EmbeddedProxy(limits: limits, transport: .h2TLS)
        try proxy.sendHeaders("POST", "/orchestrator/svc/x", headers: [("content-length", "10")], endStream: false)
        try proxy.sendData("abc", endStream: false)
        let upstream = try #require(proxy.upstream())
        proxy.advance(by: .seconds(2))
        #expect(proxy.clientIsOpen)
        proxy.advance(by: .seconds(1) + .milliseconds(300))
        let response = try proxy.streamResponse()
        #expect(response.status == 408)
        #expect(response.ended)
        #expect(!proxy.clientIsOpen)
        #expect(!upstream.isOpen)
        proxy.shutdown()
    }

    @Test func aGatewayAnswerOnAStreamHasNoConnectionHeader() throws {
        let proxy = try EmbeddedProxy(transport: .h2TLS)
        try proxy.sendHeaders("GET", "/orchestrator/nowhere/x", endStream: true)
        let response = try proxy.streamResponse()
        #expect(response.status == 404)
        #expect(response.ended)
        #expect(response.body.contains("No endpoint found"))
        for name in Self.connectionHeaders { #expect(response.values(name).isEmpty, "\(name) on a stream") }
        #expect(proxy.upstream() == nil)
        proxy.shutdown()
    }

    @Test func anHTTP1RequestOverTLSIsForwardedAsHTTPSAndCountedAsSuch() throws {
        let proxy = try EmbeddedProxy(transport: .http1TLS)
        try proxy.send("GET /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\n\r\n")
        let upstream = try #require(proxy.upstream())
        #expect(try upstream.requestText().lowercased().contains("\r\nx-forwarded-proto: https\r\n"))
        try upstream.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        let responses = try proxy.responses()
        #expect(responses.map(\.status) == [200])
        #expect(proxy.clientIsOpen, "HTTP/1.1 over TLS keeps the connection alive")
        #expect(proxy.state.traffic.requestsByTransport == [0, 1, 0])
        #expect(proxy.state.traffic.activeConnections == 1)
        proxy.shutdown()
    }

    @Test func responseHeadsForHTTP2CarryNoConnectionHeader() {
        let upstream = HTTPResponseHead(
            version: .http1_1, status: .ok, headers: ["content-length": "2", "connection": "close"])
        let h2 = HeaderRewriter.clientHead(
            for: upstream, requestID: "r", endpointID: "e", keepAlive: false, version: HTTPVersion(major: 2, minor: 0))
        #expect(!h2.headers.contains(name: "connection"))
        let http1 = HeaderRewriter.clientHead(
            for: upstream, requestID: "r", endpointID: "e", keepAlive: false, version: .http1_1)
        #expect(http1.headers["connection"] == ["close"])
        let local = GatewayResponse.detail(.notFound, "x", reason: .noRoute).head(
            requestID: "r", endpointID: nil, keepAlive: false, version: HTTPVersion(major: 2, minor: 0))
        #expect(!local.headers.contains(name: "connection"))
    }
}
