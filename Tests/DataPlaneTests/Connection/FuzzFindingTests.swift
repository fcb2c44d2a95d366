import DataPlane
import DataPlaneTesting
import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// Inputs the libFuzzer targets (Fuzz/) found, reduced to byte-level tests.
@Suite struct FuzzFindingTests {
    static func get(_ path: String) -> String { "GET \(path) HTTP/1.1\r\nHost: gw\r\n\r\n" }

    /// orch-fuzz-upstream: the upstream never answers the first of pipelined requests; after the
    /// 504 (a timer sweep) the requests behind it waited, unsent, until the idle timeout closed
    /// the connection.
    @Test func pipelinedRequestsBehindATimedOutOneAreServed() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send(Self.get("/orchestrator/svc/a") + Self.get("/orchestrator/ro/b"))
        let first = try #require(proxy.upstream())
        #expect(try first.requestHeads().count == 1)
        proxy.advance(by: .seconds(5) + ConnectionTimers.resolution)
        #expect(try proxy.responses().map(\.status) == [504])
        let second = try #require(proxy.upstream(1), "the pipelined request goes upstream after the 504")
        #expect(try second.requestHeads().count == 1)
        try second.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(try proxy.responses().map(\.status) == [504, 200])
        #expect(proxy.clientIsOpen)
    }

    /// orch-fuzz-upstream: the upstream answers the first of pipelined requests with a response
    /// head the gateway refuses (status 600); after the 502 the requests behind it waited, unsent,
    /// until the idle timeout closed the connection.
    @Test func pipelinedRequestsBehindARefusedResponseAreServed() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send(Self.get("/orchestrator/ro/a") + Self.get("/orchestrator/ro/b"))
        let first = try #require(proxy.upstream())
        try first.respond("HTTP/1.1 600 Weird\r\nContent-Length: 2\r\n\r\nok")
        #expect(try proxy.responses().map(\.status) == [502])
        #expect(!first.isOpen)
        let second = try #require(proxy.upstream(1), "the pipelined request goes upstream after the 502")
        #expect(try second.requestHeads().count == 1)
        try second.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(try proxy.responses().map(\.status) == [502, 200])
        #expect(proxy.clientIsOpen)
    }

    /// orch-fuzz-upstream (minimized input: `HTTP/1.1 200\r\nTransfer-Encoding:chunked\r\n\r\n`
    /// `0\r\nTransfer-Encoding:d\r\n\r\ny`): the upstream ends a chunked response with a
    /// `Transfer-Encoding` trailer field. The proxy relays trailers as they come, so a strict client
    /// parser (NIO's, llhttp) takes that response to end the connection, and the next response on
    /// it is an error ("data received after completed connection: close message"). The proxy's own
    /// upstream decoder reads the upstream connection the same way, yet the proxy pools it: the
    /// next request sent on it fails the same way (here retried; a POST would get a 502).
    @Test func aResponseTrailerNeverMakesTheClientConnectionUnreadable() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send(Self.get("/orchestrator/ro/a") + Self.get("/orchestrator/ro/b"))
        try #require(proxy.upstream()).respond(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nTransfer-Encoding: gzip\r\n\r\n")
        // The second request is answered wherever it went: the pooled connection, or a new one.
        var answered = 1
        for _ in 0..<3 {
            let sent = try proxy.connector.opened.reduce(0) { $0 + (try $1.requestHeads().count) }
            guard sent > answered, let upstream = proxy.connector.opened.last(where: \.isOpen) else { break }
            answered = sent
            try upstream.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        }
        let client = try HTTPResponseStreamChecker()
        try client.expectResponse(to: .GET)
        try client.expectResponse(to: .GET)
        do {
            let parts = try client.feed(proxy.clientOutputBytes())
            let responses = parts.filter { if case .end(_) = $0 { true } else { false } }.count
            #expect(responses == 2 || (responses == 1 && !proxy.clientIsOpen))
        } catch {
            Issue.record("a strict client cannot read the proxy's responses: \(error)")
        }
        _ = client.close()
    }

    /// The request-side sibling of the finding above (seen while reducing it): a client's chunked
    /// request trailers go upstream as they come. A `Connection: close` trailer tells a strict
    /// upstream parser the connection ends after its response, yet the proxy pools it for other
    /// clients' requests; a `Transfer-Encoding` trailer makes the next request on it unreadable.
    @Test func aRequestTrailerNeverCarriesConnectionOrFramingFieldsUpstream() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send(
            "POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "2\r\nok\r\n0\r\nConnection: close\r\nX-Checksum: 1\r\n\r\n")
        let upstream = try #require(proxy.upstream())
        let checker = try HTTPRequestStreamChecker()
        do {
            let parts = try checker.feed(upstream.requestBytes())
            #expect(parts.contains { if case .end(_) = $0 { true } else { false } })
        } catch {
            Issue.record("the upstream receives trailers it must not: \(error)")
        }
        checker.close()
    }
}
