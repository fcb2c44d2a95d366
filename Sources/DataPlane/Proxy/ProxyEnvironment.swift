import NIOCore
import NIOSSL

/// What every connection of a replica shares and never changes: identity, start time and the
/// TLS settings for `https` upstreams.
package struct ProxyEnvironment: Sendable {
    package var replicaID: String
    package var startedAt: NIODeadline
    /// Client TLS context for `https` upstreams (system trust store plus any extra CA file).
    package var tlsContext: NIOSSLContext?

    package init(replicaID: String, startedAt: NIODeadline = .now(), tlsContext: NIOSSLContext?) {
        self.replicaID = replicaID
        self.startedAt = startedAt
        self.tlsContext = tlsContext
    }
}
