import DataPlane
import DataPlaneTesting
import Foundation
import NIOCore
import NIOEmbedded
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
}
