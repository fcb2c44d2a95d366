import Shared

/// The routing state one snapshot gives the proxy. Immutable: each event loop holds a reference
/// and a new snapshot replaces it whole, so a request keeps the table it started with.
package final class ProxyRoutes: Sendable {
    package let snapshot: Snapshot
    package let table: RouteTable
    /// Per endpoint, what the hot path needs about its upstream, computed once.
    package let upstreams: [String: UpstreamTarget]

    package init(snapshot: Snapshot) {
        self.snapshot = snapshot
        self.table = RouteTable(snapshot.endpoints)
        self.upstreams = table.routes.mapValues { UpstreamTarget($0.url) }
    }

    package var version: Int { snapshot.version }
    package var endpointCount: Int { snapshot.endpoints.count }
}

/// Where an endpoint's requests go: its `Host` header value and its connection pool key.
package struct UpstreamTarget: Sendable {
    package let authority: String
    package let key: UpstreamConnectionPool.Key

    package init(_ url: EndpointURL) {
        authority = url.authority
        key = .init(host: url.host, port: url.port, tls: url.isTLS)
    }
}
