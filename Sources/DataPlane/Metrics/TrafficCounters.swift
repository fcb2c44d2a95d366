import Shared

/// The traffic counters of one event loop, owned by its ``LoopState``: touched only on that
/// loop, so no locks. ``SnapshotClient`` sums every loop's counters into each report.
package final class TrafficCounters {
    private var endpoints: [String: EndpointCounters] = [:]
    /// The counters by route slot (``RouteTable/Route/slot``) as last seen: one array read per
    /// request instead of hashing the endpoint's name. A slot that a newer snapshot gave to
    /// another endpoint is noticed by name and refilled.
    private var slots: [EndpointCounters?] = []
    /// Client connections open on this loop now.
    package var activeConnections = 0
    /// Client connections of this loop that became byte tunnels (WebSocket) and are open now.
    package var openTunnels = 0
    /// Responses by how the client came, indexed by ``ClientTransport/rawValue``.
    package var requestsByTransport = [Int](repeating: 0, count: ClientTransport.allCases.count)

    package init() {}

    /// The counters of `endpoint` (``TrafficReport/unmatchedEndpoint`` for `nil`), created on
    /// first use. With the route's `slot`, found without hashing the name.
    package func counters(for endpoint: String?, slot: Int? = nil) -> EndpointCounters {
        guard let endpoint, let slot, slot >= 0 else {
            return counters(named: endpoint ?? TrafficReport.unmatchedEndpoint)
        }
        if slot < slots.count, let counters = slots[slot], counters.endpoint == endpoint { return counters }
        let counters = counters(named: endpoint)
        // Slots are below the snapshot's endpoint count, so the array is bounded by it.
        if slot >= slots.count { slots.append(contentsOf: repeatElement(nil, count: slot + 1 - slots.count)) }
        slots[slot] = counters
        return counters
    }

    private func counters(named name: String) -> EndpointCounters {
        if let existing = endpoints[name] { return existing }
        let counters = EndpointCounters(endpoint: name)
        endpoints[name] = counters
        return counters
    }

    /// A copy of this loop's counters, with `pooledConnections` idle upstream connections.
    package func report(pooledConnections: Int) -> TrafficReport {
        TrafficReport(
            endpoints: endpoints.map { $0.value.traffic(endpoint: $0.key) },
            activeConnections: activeConnections, pooledConnections: pooledConnections, openTunnels: openTunnels,
            requestsByProtocol: ClientTransport.allCases.map { transport in
                ProtocolTraffic(
                    protocol: transport.protocolLabel, tls: transport.isTLS,
                    requests: requestsByTransport[transport.rawValue])
            })
    }
}

@available(*, unavailable)
extension TrafficCounters: Sendable {}

extension TrafficReport {
    /// The sum of several loops' reports: one entry per endpoint, sorted by endpoint.
    package static func merging(_ reports: [TrafficReport]) -> TrafficReport {
        var merged: [String: EndpointTraffic] = [:]
        var total = TrafficReport()
        for report in reports {
            total.activeConnections += report.activeConnections
            total.pooledConnections += report.pooledConnections
            if let tunnels = report.openTunnels { total.openTunnels = (total.openTunnels ?? 0) + tunnels }
            if let protocols = report.requestsByProtocol {
                total.requestsByProtocol = ProtocolTraffic.merging(total.requestsByProtocol ?? [], protocols)
            }
            for traffic in report.endpoints {
                guard var sum = merged[traffic.endpoint] else {
                    merged[traffic.endpoint] = traffic
                    continue
                }
                sum.add(traffic)
                merged[traffic.endpoint] = sum
            }
        }
        total.endpoints = merged.keys.sorted().map { merged[$0]! }
        return total
    }
}

extension EndpointTraffic {
    mutating func add(_ other: EndpointTraffic) {
        responses.merge(other.responses, uniquingKeysWith: +)
        upstreamErrors.merge(other.upstreamErrors, uniquingKeysWith: +)
        requestDuration.add(other.requestDuration)
        upstreamDuration.add(other.upstreamDuration)
        breakerTransitions += other.breakerTransitions
        if let retries = other.retries { self.retries = (self.retries ?? [:]).merging(retries, uniquingKeysWith: +) }
        if let exhausted = other.retryBudgetExhausted {
            retryBudgetExhausted = (retryBudgetExhausted ?? 0) + exhausted
        }
        if let limited = other.rateLimited { rateLimited = (rateLimited ?? 0) + limited }
    }
}

extension LatencyHistogram {
    mutating func add(_ other: LatencyHistogram) {
        for index in buckets.indices where index < other.buckets.count { buckets[index] += other.buckets[index] }
        sum += other.sum
        count += other.count
    }
}

extension TrafficReport {
    /// The report with each endpoint's breaker transitions filled in from the breakers' own counts.
    package func withBreakerTransitions(_ breakers: [BreakerReport]) -> TrafficReport {
        var report = self
        for breaker in breakers where breaker.transitions > 0 {
            if let index = report.endpoints.firstIndex(where: { $0.endpoint == breaker.endpoint }) {
                report.endpoints[index].breakerTransitions = breaker.transitions
            } else {
                report.endpoints.append(
                    EndpointTraffic(endpoint: breaker.endpoint, breakerTransitions: breaker.transitions))
            }
        }
        return report
    }
}
