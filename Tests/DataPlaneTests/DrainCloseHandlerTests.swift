import DataPlane
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// What a draining replica tells each kept-alive client, one connection at a time.
@Suite struct DrainCloseHandlerTests {
    func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: DrainCloseHandler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    func respond(_ channel: EmbeddedChannel, status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:]) throws
        -> HTTPResponseHead
    {
        try channel.writeOutbound(
            HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
        let head = try #require(try channel.readOutbound(as: HTTPServerResponsePart.self))
        guard case .head(let written) = head else { throw HandlerTestError.notAHead }
        return written
    }

    func end(_ channel: EmbeddedChannel) throws {
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        _ = try channel.readOutbound(as: HTTPServerResponsePart.self)
    }

    @Test func withoutADrainResponsesPassUntouched() throws {
        let channel = try channel()
        let head = try respond(channel)
        #expect(head.headers["connection"].isEmpty)
        try end(channel)
        #expect(channel.isActive)
    }

    @Test func anIdleConnectionStaysOpenAndItsNextResponseSaysClose() throws {
        let channel = try channel()
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(channel.isActive)
        let head = try respond(channel)
        #expect(head.headers["connection"] == ["close"])
        #expect(channel.isActive)
        try end(channel)
        #expect(!channel.isActive)
    }

    @Test func aResponseWhoseHeadWentOutCompletesAndTheNextOneSaysClose() throws {
        let channel = try channel()
        let promised = try respond(channel)
        #expect(promised.isKeepAlive)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "ok"))))
        _ = try channel.readOutbound(as: HTTPServerResponsePart.self)
        try end(channel)
        // The client was promised keep-alive: it may send again, and gets its answer.
        #expect(channel.isActive)
        let next = try respond(channel)
        #expect(next.headers["connection"] == ["close"])
        try end(channel)
        #expect(!channel.isActive)
    }

    @Test func informationalHeadsAndHeadsThatAlreadySayCloseAreLeftAlone() throws {
        let channel = try channel()
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        let interim = try respond(channel, status: .continue)
        #expect(interim.headers["connection"].isEmpty)
        let final = try respond(channel, headers: ["connection": "keep-alive"])
        #expect(final.headers["connection"] == ["close"])
        try end(channel)
        #expect(!channel.isActive)

        let other = try self.channel()
        other.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        let closing = try respond(other, headers: ["connection": "close"])
        #expect(closing.headers["connection"] == ["close"])
        try end(other)
        // The proxy handler that said close closes the connection itself.
        #expect(other.isActive)
    }
}

enum HandlerTestError: Error {
    case notAHead
}
