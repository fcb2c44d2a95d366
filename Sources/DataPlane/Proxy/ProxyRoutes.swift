import Shared

/// The routing state one snapshot gives the proxy. Immutable: each event loop holds a reference
/// and a new snapshot replaces it whole, so a request keeps the table it started with.
package final class ProxyRoutes: Sendable {
    package let snapshot: Snapshot
    package let table: RouteTable
    /// Per route slot (``RouteTable/Route/slot``), what the hot path needs about its upstreams,
    /// computed once.
    private let upstreams: [EndpointUpstreams?]

    package init(snapshot: Snapshot) {
        let table = RouteTable(snapshot.endpoints)
        self.snapshot = snapshot
        self.table = table
        self.upstreams = table.slots.map { name in
            name.flatMap { table.routes[$0] }.map { EndpointUpstreams($0.endpoint.config) }
        }
    }

    /// The routes of `snapshot`, which differs from `previous`'s snapshot in the endpoints
    /// `upserting` (as `snapshot` has them) and `removing` only: `previous`'s table updated
    /// (``RouteTable/updated(upserting:removing:)``), so work follows the size of the change.
    package init(
        snapshot: Snapshot, updating previous: ProxyRoutes, upserting: [SnapshotEndpoint], removing: [String]
    ) {
        let table = previous.table.updated(upserting: upserting, removing: removing)
        var upstreams = previous.upstreams
        if upstreams.count < table.slots.count {
            upstreams.append(contentsOf: repeatElement(nil, count: table.slots.count - upstreams.count))
        }
        for name in removing {
            if let slot = previous.table.routes[name]?.slot, table.slots[slot] == nil { upstreams[slot] = nil }
        }
        for endpoint in upserting {
            if let route = table.routes[endpoint.name] {
                upstreams[route.slot] = EndpointUpstreams.reusing(upstreams[route.slot], for: endpoint.config)
            } else if let slot = previous.table.routes[endpoint.name]?.slot, table.slots[slot] == nil {
                upstreams[slot] = nil
            }
        }
        self.snapshot = snapshot
        self.table = table
        self.upstreams = upstreams
    }

    /// Where `route`'s requests go. A route of an older table (a request planned before this
    /// snapshot arrived) whose slot now holds another endpoint gets its upstreams computed afresh.
    package func upstreams(for route: RouteTable.Route) -> EndpointUpstreams {
        let slot = route.slot
        if slot < upstreams.count, table.slots[slot] == route.name, let known = upstreams[slot] {
            return known
        }
        return EndpointUpstreams(route.endpoint.config)
    }

    package var version: Int { snapshot.version }
    package var endpointCount: Int { snapshot.endpoints.count }
}
