import DataPlane
import DataPlaneTesting
import Foundation
import NIOCore
import NIOEmbedded
import Testing

/// What the proxy refuses to relay from an upstream, and what it never completes.
@Suite struct UpstreamResponseRuleTests {
    func exchange(_ response: String) throws -> (EmbeddedProxy, EmbeddedUpstream) {
        let proxy = try EmbeddedProxy()
        try proxy.send("GET /orchestrator/ro/x HTTP/1.1\r\nHost: gw\r\n\r\n")
        let upstream = try #require(proxy.upstream())
        try upstream.respond(response)
        return (proxy, upstream)
    }

    @Test(arguments: [
        "HTTP/1.1 600 Weird\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-Bad: a\rb\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nX-Bad: a\u{0}b\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok",
        "NOT HTTP AT ALL\r\n\r\n",
    ])
    func anUnframeableResponseIsA502AndItsConnectionIsDropped(response: String) throws {
        let (proxy, upstream) = try exchange(response)
        let responses = try proxy.responses()
        #expect(responses.map(\.status) == [502])
        #expect(!upstream.isOpen)
        #expect(proxy.state.pool.idleCount == 0)
        // The client connection is fine: the next request opens a new upstream connection.
        #expect(proxy.clientIsOpen)
        try proxy.send("GET /orchestrator/ro/y HTTP/1.1\r\nHost: gw\r\n\r\n")
        #expect(proxy.upstream(1) != nil)
    }

    @Test func aTruncatedChunkedBodyIsNeverCompletedForTheClient() throws {
        let (proxy, upstream) = try exchange("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n")
        upstream.close()
        #expect(!proxy.clientIsOpen)
        let text = try proxy.clientOutput()
        #expect(text.hasSuffix("4\r\nabcd\r\n"))
        #expect(!text.hasSuffix("0\r\n\r\n"))
    }

    @Test func aTruncatedSizedBodyClosesTheClientConnection() throws {
        let (proxy, upstream) = try exchange("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd")
        upstream.close()
        #expect(!proxy.clientIsOpen)
        #expect(try proxy.clientOutput().hasSuffix("\r\n\r\nabcd"))
    }

    @Test func aConnectionHeaderNamingContentLengthDoesNotUnframeTheResponse() throws {
        let (proxy, _) = try exchange("HTTP/1.1 200 OK\r\nConnection: content-length\r\nContent-Length: 2\r\n\r\nok")
        let response = try #require(try proxy.responses().first)
        #expect(response.values("content-length") == ["2"])
        #expect(response.body == "ok")
        #expect(proxy.clientIsOpen)
    }

    @Test func aCleanResponseReturnsItsConnectionToThePool() throws {
        let (proxy, upstream) = try exchange("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(try proxy.responses().map(\.status) == [200])
        #expect(upstream.isOpen)
        #expect(proxy.state.pool.idleCount == 1)
    }
}
