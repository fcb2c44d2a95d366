/// How a client reached the proxy: the protocol its requests arrive in, and whether over TLS.
/// Fixed per ``ProxyServerHandler``; its raw value indexes the per-protocol request counters.
package enum ClientTransport: Int, Sendable, CaseIterable {
    /// HTTP/1.x on the plaintext listener.
    case http1 = 0
    /// HTTP/1.1 (ALPN `http/1.1`, or none) on the TLS listener.
    case http1TLS = 1
    /// One HTTP/2 stream (ALPN `h2`) on the TLS listener.
    case h2TLS = 2

    /// The `protocol` label of `orch_requests_by_protocol_total`.
    package var protocolLabel: String {
        switch self {
        case .http1, .http1TLS: "http1"
        case .h2TLS: "h2"
        }
    }

    package var isTLS: Bool { self != .http1 }

    /// Requests arrive on HTTP/2 streams, one per stream: the handler serves a stream, not a
    /// connection (the connection is counted and timed by the HTTP/2 layer).
    package var isStream: Bool { self == .h2TLS }

    /// The `X-Forwarded-Proto` the upstream gets.
    package var forwardedProto: String { isTLS ? "https" : "http" }
}
