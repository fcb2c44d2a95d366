import NIOCore
import NIOSSL

/// What every connection of a replica shares: identity, start time, the TLS settings for
/// `https` upstreams, and the replica's circuit breakers.
package struct ProxyEnvironment: Sendable {
    package var replicaID: String
    package var startedAt: NIODeadline
    /// Client TLS context for `https` upstreams (system trust store plus any extra CA file).
    package var tlsContext: NIOSSLContext?
    /// One breaker per endpoint, shared by every event loop of the replica.
    package var breakers: BreakerRegistry
    /// Where completed requests are logged; `nil` when the access log is off.
    package var accessLog: AccessLogWriter?
    /// How upstream connections are opened.
    package var upstreamConnector: any UpstreamConnector

    package init(
        replicaID: String, startedAt: NIODeadline = .now(), tlsContext: NIOSSLContext?,
        breakers: BreakerRegistry = BreakerRegistry(), accessLog: AccessLogWriter? = nil,
        upstreamConnector: any UpstreamConnector = SocketUpstreamConnector()
    ) {
        self.upstreamConnector = upstreamConnector
        self.replicaID = replicaID
        self.accessLog = accessLog
        self.startedAt = startedAt
        self.tlsContext = tlsContext
        self.breakers = breakers
    }
}
