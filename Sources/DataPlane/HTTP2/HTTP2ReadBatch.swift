/// The streams of one HTTP/2 connection whose requests wait for the end of the connection's
/// current read before they obtain an upstream connection.
///
/// A rapid-reset client sends each stream's HEADERS and its RST_STREAM back to back, so both
/// arrive in one read; NIOHTTP2 hands the request to the stream's ``ProxyServerHandler`` at the
/// HEADERS and closes the stream at the RST_STREAM. Waiting for the end of the read lets a reset
/// stream go without ever leasing or opening an upstream connection (which the reset would then
/// close, a request having been written on it). Owned by the connection's event loop.
package final class HTTP2ReadBatch {
    private var waiting: [ProxyServerHandler] = []

    package init() {}

    /// `handler` obtains its upstream when the read ends (if its stream is still open then).
    func wait(_ handler: ProxyServerHandler) {
        waiting.append(handler)
    }

    /// The connection's read ended: every waiting stream goes on.
    func completed() {
        guard !waiting.isEmpty else { return }
        let handlers = waiting
        waiting.removeAll(keepingCapacity: true)
        for handler in handlers { handler.readBatchCompleted() }
    }
}

@available(*, unavailable)
extension HTTP2ReadBatch: Sendable {}
