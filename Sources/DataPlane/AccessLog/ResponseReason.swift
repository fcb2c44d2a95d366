/// Why the gateway answered a request itself, or cut a response short: the access log's
/// `reason`, in the manner of Envoy's response flags. Responses relayed from an upstream whole
/// have none.
package enum ResponseReason: String, Sendable, CaseIterable {
    /// The replica's own `/health`.
    case health
    /// No endpoint for the path.
    case noRoute = "no_route"
    /// No snapshot held yet.
    case noSnapshot = "no_snapshot"
    /// A method the endpoint does not allow (or `CONNECT`).
    case method
    case disabled
    case inactive
    case unhealthy
    case breakerOpen = "breaker_open"
    /// The upstream had its `upstream_limits` of connections and waiting requests (503).
    case upstreamOverloaded = "upstream_overloaded"
    /// The endpoint's rate limit refused the request (429).
    case rateLimited = "rate_limited"
    case connectFailed = "connect_failed"
    /// The upstream closed or failed before (or while) answering.
    case upstreamReset = "upstream_reset"
    /// The upstream did not answer within the endpoint's timeout.
    case timeout
    /// The upstream's response could not be relayed safely.
    case invalidResponse = "invalid_response"
    /// The request broke the protocol (malformed, a suspicious target, `Host` rules, ...).
    case badRequest = "bad_request"
    case uriTooLong = "uri_too_long"
    case headersTooLarge = "headers_too_large"
    /// The client was too slow sending its request (`header_timeout`, `body_timeout`).
    case requestTimeout = "request_timeout"
    /// The client stopped reading or sending in the middle of a response.
    case clientTimeout = "client_timeout"
}
