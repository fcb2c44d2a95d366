import Shared

/// One upstream of a pool as `GET /registry/endpoints/{id}` shows it: its configuration
/// (`url`, `weight`) and its runtime state, from the control plane's probes and the replicas'
/// reports.
package struct UpstreamStatus: Codable, Sendable, Equatable {
    package var url: String
    package var weight: Int
    /// `healthy`, `unhealthy` or `unknown`, as this upstream's own probes say.
    package var health: String
    /// `closed`, `open` or `half_open`: the worst state of this upstream's breaker over the
    /// connected replicas (`closed` before any report).
    package var circuitBreakerState: String
    /// Requests in flight to this upstream, over the connected replicas, as of their last report.
    package var inFlight: Int

    package init(url: String, weight: Int, health: String, circuitBreakerState: String, inFlight: Int) {
        self.url = url
        self.weight = weight
        self.health = health
        self.circuitBreakerState = circuitBreakerState
        self.inFlight = inFlight
    }

    /// The configuration part.
    package var config: UpstreamConfig { UpstreamConfig(url: url, weight: weight) }

    enum CodingKeys: String, CodingKey {
        case url, weight, health
        case circuitBreakerState = "circuit_breaker_state"
        case inFlight = "in_flight"
    }
}
