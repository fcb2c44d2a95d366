import DataPlane
import DataPlaneTesting
import Foundation
import NIOCore
import NIOEmbedded
import Shared
import Testing

/// Every client-side timeout, with the loop's clock moved by hand.
@Suite struct ConnectionTimeoutTests {
    static let limits = ProxyLimits(headerTimeout: 2, bodyTimeout: 3, idleTimeout: 5, sendTimeout: 4)
    static let tick = TimeAmount.milliseconds(300)

    @Test func halfAHeadGets408AfterHeaderTimeout() throws {
        let proxy = try EmbeddedProxy(limits: Self.limits)
        try proxy.send("GET /orchestrator/ro/x HTTP/1.1\r\nHost: g")
        proxy.advance(by: .milliseconds(1500))
        #expect(proxy.clientIsOpen)
        proxy.advance(by: .milliseconds(500) + Self.tick)
        let responses = try proxy.responses()
        #expect(responses.map(\.status) == [408])
        #expect(responses.first?.body == #"{"detail":"Request timeout"}"#)
        #expect(responses.first?.closes == true)
        #expect(!proxy.clientIsOpen)
    }

    @Test func aConnectionThatSendsNothingIsClosedAfterHeaderTimeout() throws {
        let proxy = try EmbeddedProxy(limits: Self.limits)
        proxy.advance(by: .seconds(2) + Self.tick)
        #expect(!proxy.clientIsOpen)
    }

    @Test func anIdleKeptAliveConnectionIsClosedSilentlyAfterIdleTimeout() throws {
        let proxy = try EmbeddedProxy(limits: Self.limits)
        try proxy.send("GET /orchestrator/nothing HTTP/1.1\r\nHost: gw\r\n\r\n")
        #expect(try proxy.responses().map(\.status) == [404])
        proxy.advance(by: .seconds(4))
        #expect(proxy.clientIsOpen)
        proxy.advance(by: .seconds(1) + Self.tick)
        #expect(!proxy.clientIsOpen)
        #expect(try proxy.responses().count == 1)
    }

    @Test func partOfTheNextHeadOnAKeptAliveConnectionIsBoundByHeaderTimeout() throws {
        let proxy = try EmbeddedProxy(limits: Self.limits)
        try proxy.send("GET /orchestrator/nothing HTTP/1.1\r\nHost: gw\r\n\r\n")
        proxy.advance(by: .seconds(1))
        try proxy.send("GET /orch")
        proxy.advance(by: .seconds(2) + Self.tick)
        #expect(try proxy.responses().map(\.status) == [404, 408])
        #expect(!proxy.clientIsOpen)
    }

    @Test func aStalledRequestBodyGets408AndItsUpstreamConnectionIsClosed() throws {
        let proxy = try EmbeddedProxy(limits: Self.limits)
        try proxy.send("POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 10\r\n\r\nabc")
        let upstream = try #require(proxy.upstream())
        proxy.advance(by: .seconds(2))
        try proxy.send("de")
        proxy.advance(by: .seconds(2))
        #expect(proxy.clientIsOpen)
        proxy.advance(by: .seconds(1) + Self.tick)
        #expect(try proxy.responses().map(\.status) == [408])
        #expect(!proxy.clientIsOpen)
        #expect(!upstream.isOpen)
    }

    @Test func aStalledBodyAfterTheResponseBeganClosesTheConnection() throws {
        let proxy = try EmbeddedProxy(limits: Self.limits)
        try proxy.send("POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 10\r\n\r\nabc")
        let upstream = try #require(proxy.upstream())
        try upstream.respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n")
        proxy.advance(by: .seconds(3) + Self.tick)
        #expect(!proxy.clientIsOpen)
        #expect(!upstream.isOpen)
    }

    @Test func aClientThatStopsReadingIsClosedAfterSendTimeout() throws {
        let proxy = try EmbeddedProxy(limits: Self.limits)
        try proxy.send("GET /orchestrator/ro/x HTTP/1.1\r\nHost: gw\r\n\r\n")
        let upstream = try #require(proxy.upstream())
        try upstream.respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n")
        proxy.client.isWritable = false
        proxy.client.pipeline.fireChannelWritabilityChanged()
        proxy.advance(by: .seconds(3))
        #expect(proxy.clientIsOpen)
        proxy.advance(by: .seconds(1) + Self.tick)
        #expect(!proxy.clientIsOpen)
        #expect(!upstream.isOpen)
    }

    @Test func theEndpointTimeoutBoundsTheWaitForTheResponseHead() throws {
        let proxy = try EmbeddedProxy(limits: Self.limits)
        try proxy.send("GET /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\n\r\n")
        let upstream = try #require(proxy.upstream())
        proxy.advance(by: .seconds(4))
        #expect(try proxy.responses().isEmpty)
        proxy.advance(by: .seconds(1) + Self.tick)
        #expect(try proxy.responses().map(\.status) == [504])
        #expect(!upstream.isOpen)
        #expect(proxy.clientIsOpen)
    }

    @Test func newLimitsApplyToTheNextRequest() throws {
        let proxy = try EmbeddedProxy(limits: Self.limits)
        try proxy.send("GET /orchestrator/nothing HTTP/1.1\r\nHost: gw\r\n\r\n")
        var limits = Self.limits
        limits.maxURIBytes = 256
        proxy.state.limits = limits
        try proxy.send("GET /orchestrator/\(String(repeating: "a", count: 300)) HTTP/1.1\r\nHost: gw\r\n\r\n")
        #expect(try proxy.responses().map(\.status) == [404, 414])
    }
}
