import NIOCore
import NIOSSL

/// What every connection of a replica shares: identity, start time, the TLS settings for
/// `https` upstreams, the certificates of its TLS listener, and the replica's circuit breakers.
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
    /// The certificates the TLS listener serves, from the snapshot's `tls:` section; `nil` when
    /// the replica has no TLS listener.
    package var serverCertificates: TLSCertificateStore?
    /// The replica's connections to each upstream (all loops), for ``UpstreamLimits``.
    package var connectionCounts = UpstreamConnectionCounts()
    /// The replicas connected to the control plane, for rate limits shared by the gateway.
    package var replicaCount = GatewayReplicaCount()
    /// The upstreams of pools that the control plane's probes found unhealthy.
    package var upstreamHealth = UpstreamHealthBoard()

    package init(
        replicaID: String, startedAt: NIODeadline = .now(), tlsContext: NIOSSLContext?,
        breakers: BreakerRegistry = BreakerRegistry(), accessLog: AccessLogWriter? = nil,
        upstreamConnector: any UpstreamConnector = SocketUpstreamConnector(),
        serverCertificates: TLSCertificateStore? = nil
    ) {
        self.serverCertificates = serverCertificates
        self.upstreamConnector = upstreamConnector
        self.replicaID = replicaID
        self.accessLog = accessLog
        self.startedAt = startedAt
        self.tlsContext = tlsContext
        self.breakers = breakers
    }
}
