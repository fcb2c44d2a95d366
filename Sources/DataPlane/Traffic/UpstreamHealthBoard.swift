import Synchronization

/// The upstreams of pool endpoints that the control plane's probes found unhealthy, as its
/// newest health update says; shared by every event loop of a replica. Each loop's balancer of
/// an endpoint compares ``generation`` (one atomic load per pick) and reads the endpoint's set
/// only after a change.
package final class UpstreamHealthBoard: Sendable {
    private let changes = Atomic<Int>(0)
    private let unhealthy = Mutex<[String: Set<String>]>([:])

    package init() {}

    /// Changes with every change of the board.
    package var generation: Int { changes.load(ordering: .acquiring) }

    /// Replaces the board with `update`'s: unhealthy upstream URLs by endpoint name.
    package func replace(_ update: [String: [String]]) {
        let next = update.mapValues(Set.init)
        let changed = unhealthy.withLock { current in
            guard current != next else { return false }
            current = next
            return true
        }
        if changed { changes.add(1, ordering: .releasing) }
    }

    /// The URLs of `endpoint`'s upstreams that are unhealthy.
    package func unhealthyUpstreams(of endpoint: String) -> Set<String> {
        unhealthy.withLock { $0[endpoint] ?? [] }
    }
}
