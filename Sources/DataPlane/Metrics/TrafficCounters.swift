import Shared

/// The traffic counters of one event loop, owned by its ``LoopState``: touched only on that
/// loop, so no locks. ``SnapshotClient`` sums every loop's counters into each report.
package final class TrafficCounters {
    private var endpoints: [String: EndpointCounters] = [:]
    /// Client connections open on this loop now.
    package var activeConnections = 0
    /// Client connections of this loop that became byte tunnels (WebSocket) and are open now.
    package var openTunnels = 0
    /// Responses by how the client came, indexed by ``ClientTransport/rawValue``.
    package var requestsByTransport = [Int](repeating: 0, count: ClientTransport.allCases.count)

    package init() {}

    /// The counters of `endpoint` (``TrafficReport/unmatchedEndpoint`` for `nil`), created on
    /// first use. A forwarded request finds its endpoint's through its ``LoopEndpoint`` instead.
    package func counters(for endpoint: String?) -> EndpointCounters {
        let name = endpoint ?? TrafficReport.unmatchedEndpoint
        if let existing = endpoints[name] { return existing }
        let counters = EndpointCounters(endpoint: name)
        endpoints[name] = counters
        return counters
    }

    /// Adds this loop's counters, with `pooledConnections` idle upstream connections, to `sum`.
    package func add(to sum: inout TrafficSum, pooledConnections: Int) {
        for (name, counters) in endpoints {
            counters.add(to: &sum.endpoints[name, default: EndpointTraffic(endpoint: name)])
        }
        sum.total.activeConnections += activeConnections
        sum.total.pooledConnections += pooledConnections
        sum.total.openTunnels = (sum.total.openTunnels ?? 0) + openTunnels
        sum.total.requestsByProtocol = ProtocolTraffic.merging(
            sum.total.requestsByProtocol ?? [],
            ClientTransport.allCases.map { transport in
                ProtocolTraffic(
                    protocol: transport.protocolLabel, tls: transport.isTLS,
                    requests: requestsByTransport[transport.rawValue])
            })
    }
}

@available(*, unavailable)
extension TrafficCounters: Sendable {}

/// Several loops' traffic summed as each adds its own (``TrafficCounters/add(to:pooledConnections:)``),
/// one loop after another: an endpoint's entry is made by the first loop that counted it, and the
/// others add to it in place, so a report costs one entry per endpoint, not one per endpoint and loop.
package struct TrafficSum: Sendable {
    fileprivate var endpoints: [String: EndpointTraffic] = [:]
    fileprivate var total = TrafficReport()

    package init() {}

    /// The sum as a report: one entry per endpoint, sorted by endpoint.
    package var report: TrafficReport {
        var report = total
        report.endpoints = endpoints.values.sorted { $0.endpoint < $1.endpoint }
        return report
    }
}

extension TrafficReport {
    /// The report with each endpoint's breaker transitions filled in from the breakers' own counts.
    package func withBreakerTransitions(_ breakers: [BreakerReport]) -> TrafficReport {
        var report = self
        let transitioned = breakers.filter { $0.transitions > 0 }
        guard !transitioned.isEmpty else { return report }
        // By name, once: with an upstream shared by thousands of endpoints, thousands of breakers
        // may have transitions, and a search of the list for each would cost their product.
        let indices = Dictionary(
            report.endpoints.indices.map { (report.endpoints[$0].endpoint, $0) },
            uniquingKeysWith: { first, _ in first })
        for breaker in transitioned {
            if let index = indices[breaker.endpoint] {
                report.endpoints[index].breakerTransitions = breaker.transitions
            } else {
                report.endpoints.append(
                    EndpointTraffic(endpoint: breaker.endpoint, breakerTransitions: breaker.transitions))
            }
        }
        return report
    }
}
