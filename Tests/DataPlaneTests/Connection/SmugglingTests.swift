import DataPlane
import DataPlaneTesting
import Foundation
import NIOCore
import NIOEmbedded
import Shared
import Testing

/// Request smuggling shapes at the byte level: the upstream never sees more requests than the
/// client sent heads, and the framing it sees is the proxy's own.
@Suite struct SmugglingTests {
    static let smuggled = "DELETE /admin HTTP/1.1\r\nHost: upstream.test\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n"

    @Test(arguments: ["keep-alive, content-length", "Content-Length", "close, transfer-encoding", "host"])
    func aConnectionHeaderNamingFramingOrHostIsRefused(connection: String) throws {
        let proxy = try EmbeddedProxy()
        let body = Self.smuggled
        try proxy.send(
            "GET /orchestrator/ro/x HTTP/1.1\r\nHost: gw\r\nConnection: \(connection)\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let responses = try proxy.responses()
        #expect(responses.count == 1)
        #expect(responses.first?.status == 400)
        #expect(responses.first?.closes == true)
        #expect(responses.first?.body.contains("Connection header") == true)
        #expect(proxy.upstream() == nil)
        #expect(!proxy.clientIsOpen)
    }

    @Test func aContentLengthBodyReachesTheUpstreamAsOneRequestWithItsLength() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send(
            "POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nX-Other: 1\r\n\r\nhello")
        let upstream = try #require(proxy.upstream())
        let text = try upstream.requestText()
        #expect(try upstream.requestHeads().count == 1)
        #expect(text.lowercased().components(separatedBy: "content-length: 5").count == 2)
        #expect(!text.lowercased().contains("transfer-encoding"))
        #expect(text.hasSuffix("\r\n\r\nhello"))
    }

    @Test func aChunkedBodyIsSentChunkedWithoutAContentLength() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send(
            "POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n0\r\n\r\n")
        let upstream = try #require(proxy.upstream())
        let text = try upstream.requestText().lowercased()
        #expect(text.contains("transfer-encoding: chunked"))
        #expect(!text.contains("content-length"))
        #expect(text.hasSuffix("5\r\nhello\r\n0\r\n\r\n"))
    }

    @Test func bothContentLengthAndTransferEncodingIsRefused() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send(
            "POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + Self.smuggled)
        let responses = try proxy.responses()
        #expect(responses.map(\.status) == [400])
        #expect(responses.first?.closes == true)
        #expect(try proxy.upstream()?.requestHeads().count ?? 0 == 0)
    }

    @Test func conflictingContentLengthsAreRefused() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send(
            "POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd")
        let responses = try proxy.responses()
        #expect(responses.map(\.status) == [400])
        #expect(proxy.upstream() == nil)
    }

    @Test func aClientContentLengthOnABodilessRequestIsNotForwardedAsBody() throws {
        // The smuggled bytes follow a GET with no body: they are a second (pipelined) request to
        // the gateway, planned like any other, never bytes inside the first upstream request.
        let proxy = try EmbeddedProxy()
        try proxy.send("GET /orchestrator/ro/a HTTP/1.1\r\nHost: gw\r\n\r\n" + Self.smuggled)
        let upstream = try #require(proxy.upstream())
        #expect(try upstream.requestHeads().count == 1)
        try upstream.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        let responses = try proxy.responses()
        #expect(responses.map(\.status) == [200, 404])
        #expect(try upstream.requestHeads().count == 1)
    }
}
