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

    /// The upstream breakers of one endpoint as the replicas reported them, merged by URL: the
    /// worst state over the replicas (``BreakerRoutes/worst(_:)``), in-flight tries summed.
    static func merge(_ reports: [[UpstreamBreakerReport]]) -> [String: (state: String, inFlight: Int)] {
        Dictionary(grouping: reports.joined(), by: \.url).mapValues { upstreams in
            (BreakerRoutes.worst(upstreams.map(\.state)), upstreams.reduce(0) { $0 + $1.inFlight })
        }
    }
}

extension AdminServices {
    /// The upstream breakers each connected replica reported, by pool endpoint.
    func upstreamBreakerReports() async -> [String: [[UpstreamBreakerReport]]] {
        var byEndpoint: [String: [[UpstreamBreakerReport]]] = [:]
        for report in await publisher.breakerReports() {
            if let upstreams = report.breaker.upstreams {
                byEndpoint[report.breaker.endpoint, default: []].append(upstreams)
            }
        }
        return byEndpoint
    }

    /// The upstream breakers of `endpoint` over the connected replicas, by URL.
    func upstreamBreakers(_ endpoint: String) async -> [String: (state: String, inFlight: Int)] {
        UpstreamRuntime.merge(await upstreamBreakerReports()[endpoint] ?? [])
    }
}
