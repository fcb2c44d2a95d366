import NIOCore
import NIOEmbedded

extension EmbeddedProxy {
    /// Reads and drops everything the proxy wrote to the client since the last read, keeping no
    /// copy (a benchmark's measured loop must not allocate on its own); returns how many bytes that
    /// was. ``clientOutputBytes()`` never sees these bytes.
    @discardableResult
    package func discardClientOutput() throws -> Int {
        try client.discardOutbound()
    }
}

extension EmbeddedUpstream {
    /// Reads and drops everything the proxy sent on this connection since the last read, keeping
    /// no copy; returns how many bytes that was. ``requestBytes()`` never sees these bytes.
    @discardableResult
    package func discardRequests() throws -> Int {
        try channel.discardOutbound()
    }

    /// The upstream answers with bytes already in a buffer, as one read (no conversion from text
    /// on the way in).
    package func respond(buffer: ByteBuffer) throws {
        try channel.writeInbound(buffer)
    }
}

extension EmbeddedChannel {
    /// Reads and drops every outbound buffer written so far; returns how many bytes they held.
    fileprivate func discardOutbound() throws -> Int {
        var count = 0
        while let buffer = try readOutbound(as: ByteBuffer.self) {
            count += buffer.readableBytes
        }
        return count
    }
}
