import Shared

/// The routing state one snapshot gives the proxy. Immutable: each event loop holds a reference
/// and a new snapshot replaces it whole, so a request keeps the table it started with.
package final class ProxyRoutes: Sendable {
    package let snapshot: Snapshot
    package let table: RouteTable

    package init(snapshot: Snapshot) {
        self.snapshot = snapshot
        self.table = RouteTable(snapshot.endpoints)
    }

    package var version: Int { snapshot.version }
    package var endpointCount: Int { snapshot.endpoints.count }
}
