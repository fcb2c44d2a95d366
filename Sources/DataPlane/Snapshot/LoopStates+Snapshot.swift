import NIOConcurrencyHelpers
import NIOCore
import Shared
import Synchronization

extension LoopStates {
    /// Makes `snapshot` the route table and the limits of every event loop; returns once all of
    /// them serve it. Requests already in flight keep the table they started with. The TLS
    /// listener's certificates are (re)loaded first when the snapshot's `tls:` section or its
    /// files changed; certificates that fail to load never fail the snapshot (the previous ones
    /// keep serving, with a warning).
    ///
    /// With `change` (how `snapshot` differs from the snapshot served now), the served route
    /// table is updated instead of built again from every endpoint.
    package func install(_ snapshot: Snapshot, change: RoutesChange? = nil) async throws {
        certificates?.snapshotInstalled(snapshot.tls)
        let routes = served.replace { previous in
            if let change, let previous {
                ProxyRoutes(
                    snapshot: snapshot, updating: previous, upserting: change.upserting, removing: change.removing)
            } else {
                ProxyRoutes(snapshot: snapshot)
            }
        }
        let limits = snapshot.proxy ?? .defaults
        _ = try await forEach { state in
            state.routes = routes
            state.limits = limits
        }.get()
    }

    /// Whether every loop has a route table.
    package func holdSnapshot() async throws -> Bool {
        try await forEach { state in state.routes != nil }.get().allSatisfy { $0 }
    }

    /// Responses completed by all loops since start.
    /// Every loop's traffic counters summed, with the writer's dropped access-log lines.
    package func traffic(accessLog: AccessLogWriter?) async throws -> TrafficReport {
        let sum = NIOLockedValueBox(TrafficSum())
        try await forEachInTurn { state in
            sum.withLockedValue { state.traffic.add(to: &$0, pooledConnections: state.pool.idleCount) }
        }
        var merged = sum.withLockedValue { $0.report }
        merged.accessLogDropped = accessLog?.dropped
        return merged
    }

    package func requestsServed() async throws -> Int {
        try await forEach { state in state.requestsServed }.get().reduce(0, +)
    }
}
