import DataPlane
import DataPlaneTesting
import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Shared
import Testing

/// Counts the read requests that reach the head of the pipeline (the proxy lets them through
/// only while it wants more of the client's bytes).
final class ReadCounter: ChannelOutboundHandler, @unchecked Sendable {
    typealias OutboundIn = Any
    var reads = 0

    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }
}

/// Pipelined requests (bounded), the retry rule and drain, at the byte level.
@Suite struct PipeliningRetryDrainTests {
    static let get = "GET /orchestrator/ro/x HTTP/1.1\r\nHost: gw\r\n\r\n"

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send(Self.get + "GET /orchestrator/none HTTP/1.1\r\nHost: gw\r\n\r\n" + Self.get)
        let upstream = try #require(proxy.upstream())
        #expect(try upstream.requestHeads().count == 1)
        try upstream.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")
        #expect(try upstream.requestHeads().count == 2)
        try upstream.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb")
        #expect(try proxy.responses().map(\.status) == [200, 404, 200])
        #expect(try proxy.responses().map(\.body).first == "a")
    }

    @Test func beyondMaxPipelinedTheClientIsNotRead() throws {
        var limits = ProxyLimits.defaults
        limits.maxPipelined = 2
        let proxy = try EmbeddedProxy(limits: limits)
        let counter = ReadCounter()
        try proxy.client.pipeline.syncOperations.addHandler(counter, position: .first)
        try proxy.send(Self.get + Self.get)
        proxy.client.read()
        #expect(counter.reads == 1)
        try proxy.send(Self.get + Self.get)
        proxy.client.read()
        #expect(counter.reads == 1, "3 requests wait behind the first: no more reads")
        let upstream = try #require(proxy.upstream())
        try upstream.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")
        try upstream.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb")
        #expect(counter.reads == 2, "the held read goes out once the queue is under the limit")
        try upstream.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nc")
        try upstream.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nd")
        #expect(try proxy.responses().map(\.body) == ["a", "b", "c", "d"])
    }

    @Test func anIdempotentRequestIsRetriedOnceWhenAReusedConnectionClosesUnanswered() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send(Self.get)
        let first = try #require(proxy.upstream())
        try first.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")
        try proxy.send(Self.get)
        #expect(try first.requestHeads().count == 2, "the pooled connection was reused")
        first.close()
        let second = try #require(proxy.upstream(1))
        #expect(try second.requestHeads().count == 1)
        try second.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb")
        #expect(try proxy.responses().map(\.status) == [200, 200])
    }

    @Test func aPostIsNeverSentTwice() throws {
        let proxy = try EmbeddedProxy()
        let post = "POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\n\r\n"
        try proxy.send(post)
        let first = try #require(proxy.upstream())
        try first.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")
        try proxy.send(post)
        #expect(try first.requestHeads().count == 2)
        first.close()
        #expect(proxy.upstream(1) == nil)
        #expect(try proxy.responses().map(\.status) == [200, 502])
    }

    @Test func aFreshConnectionThatClosesUnansweredIsNotRetried() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send(Self.get)
        try #require(proxy.upstream()).close()
        #expect(proxy.upstream(1) == nil)
        #expect(try proxy.responses().map(\.status) == [502])
    }

    @Test func aRefusedConnectionIsA502WithoutRetry() throws {
        let proxy = try EmbeddedProxy()
        proxy.connector.refuse = true
        try proxy.send(Self.get)
        #expect(try proxy.responses().map(\.status) == [502])
        #expect(proxy.connector.opened.isEmpty)
        #expect(proxy.clientIsOpen)
    }

    @Test func drainClosesAfterTheResponseInProgress() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send(Self.get)
        proxy.client.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try #require(proxy.upstream()).respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")
        let response = try #require(try proxy.responses().first)
        #expect(response.closes)
        #expect(!proxy.clientIsOpen)
    }

    @Test func drainKeepsAResponseThatPromisedKeepAliveAndAnswersTheNextRequestWithClose() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send(Self.get)
        let upstream = try #require(proxy.upstream())
        try upstream.respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n")
        proxy.client.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try upstream.respond("0\r\n\r\n")
        #expect(proxy.clientIsOpen, "the client was promised keep-alive and may be sending already")
        try proxy.send(Self.get)
        try upstream.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb")
        let responses = try proxy.responses()
        #expect(responses.map(\.closes) == [false, true])
        #expect(!proxy.clientIsOpen)
    }

    @Test func drainLeavesAnIdleConnectionOpenForItsNextRequest() throws {
        let proxy = try EmbeddedProxy()
        try proxy.send("GET /orchestrator/none HTTP/1.1\r\nHost: gw\r\n\r\n")
        proxy.client.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(proxy.clientIsOpen)
        try proxy.send("GET /orchestrator/none HTTP/1.1\r\nHost: gw\r\n\r\n")
        #expect(try proxy.responses().map(\.closes) == [false, true])
        #expect(!proxy.clientIsOpen)
    }
}
