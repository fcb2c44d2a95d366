import DataPlane
import Shared

extension TrafficCounters {
    /// This loop's counters alone as a report, with `pooledConnections` idle upstream connections.
    func report(pooledConnections: Int) -> TrafficReport {
        var sum = TrafficSum()
        add(to: &sum, pooledConnections: pooledConnections)
        return sum.report
    }
}

extension EndpointCounters {
    /// These counters alone as a report carries them for `endpoint`.
    func traffic(endpoint: String) -> EndpointTraffic {
        var traffic = EndpointTraffic(endpoint: endpoint)
        add(to: &traffic)
        return traffic
    }
}
