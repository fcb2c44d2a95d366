import NIOCore
import NIOEmbedded

extension EmbeddedProxy {
    /// Drops everything the proxy wrote to the client (for benchmarks: no copies kept).
    package func discardClientOutput() throws {
        while try client.readOutbound(as: ByteBuffer.self) != nil {}
    }
}

extension EmbeddedUpstream {
    /// Drops everything the proxy sent on this connection.
    package func discardRequests() throws {
        while try channel.readOutbound(as: ByteBuffer.self) != nil {}
    }

    /// The upstream answers with bytes already in a buffer.
    package func respond(_ buffer: ByteBuffer) throws {
        try channel.writeInbound(buffer)
    }
}
