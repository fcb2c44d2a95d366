import AdminAPI
import Shared

/// What the control plane knows of a pool's upstreams at run time, by URL: the probes' health
/// and, over the connected replicas, the worst breaker state and the tries in flight.
struct UpstreamRuntime: Sendable {
    var health: [String: EndpointHealth] = [:]
    var breakers: [String: (state: String, inFlight: Int)] = [:]

    /// `upstream` with its runtime state.
    func status(_ upstream: UpstreamConfig) -> UpstreamStatus {
        let breaker = breakers[upstream.url]
        return UpstreamStatus(
            url: upstream.url, weight: upstream.weight, health: (health[upstream.url] ?? .unknown).rawValue,
            circuitBreakerState: breaker?.state ?? "closed", inFlight: breaker?.inFlight ?? 0)
    }

    /// The upstream breakers of one endpoint as the replicas reported them, merged by URL: open
    /// if open in any replica, else half-open if half-open in any, else closed; in-flight tries
    /// summed.
    static func merge(_ reports: [[UpstreamBreakerReport]]) -> [String: (state: String, inFlight: Int)] {
        var merged: [String: (state: String, inFlight: Int)] = [:]
        for upstream in reports.joined() {
            let previous = merged[upstream.url]
            merged[upstream.url] = (
                worse(previous?.state ?? "closed", upstream.state), (previous?.inFlight ?? 0) + upstream.inFlight
            )
        }
        return merged
    }

    private static func worse(_ first: String, _ second: String) -> String {
        let rank = ["closed": 0, "half_open": 1, "open": 2]
        return (rank[second] ?? 0) > (rank[first] ?? 0) ? second : first
    }
}

extension AdminServices {
    /// The upstream breakers of `endpoint` over the connected replicas, by URL.
    func upstreamBreakers(_ endpoint: String) async -> [String: (state: String, inFlight: Int)] {
        let reports = await publisher.breakerReports().filter { $0.breaker.endpoint == endpoint }
        return UpstreamRuntime.merge(reports.compactMap(\.breaker.upstreams))
    }
}
