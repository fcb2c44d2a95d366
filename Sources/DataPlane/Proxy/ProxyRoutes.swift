import Shared

/// The routing state one snapshot gives the proxy. Immutable: each event loop holds a reference
/// and a new snapshot replaces it whole, so a request keeps the table it started with.
package final class ProxyRoutes: Sendable {
    package let snapshot: Snapshot
    package let table: RouteTable
    /// Per route slot (``RouteTable/Route/slot``), what the hot path needs about its upstream,
    /// computed once.
    private let upstreams: [UpstreamTarget]

    package init(snapshot: Snapshot) {
        let table = RouteTable(snapshot.endpoints)
        self.snapshot = snapshot
        self.table = table
        self.upstreams = table.order.compactMap { table.routes[$0].map { UpstreamTarget($0.url) } }
    }

    /// Where `route`'s requests go. A route of an older table (a request planned before this
    /// snapshot arrived) whose slot now holds another endpoint gets its target computed afresh.
    package func upstream(for route: RouteTable.Route) -> UpstreamTarget {
        let slot = route.slot
        if slot < upstreams.count, table.order[slot] == route.endpoint.name { return upstreams[slot] }
        return UpstreamTarget(route.url)
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
