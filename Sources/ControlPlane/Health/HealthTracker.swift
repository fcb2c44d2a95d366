import Shared

/// The probe history of one endpoint and the health it implies. Pure: the prober feeds it results.
/// Thresholds count from the first probe: a new endpoint is `unknown` (traffic flows) until
/// `healthy_threshold` good or `unhealthy_threshold` failed probes in a row.
package struct HealthTracker: Sendable, Equatable {
    package private(set) var health: EndpointHealth = .unknown
    package private(set) var consecutiveFailures = 0
    package private(set) var consecutiveSuccesses = 0

    package init() {}

    /// Records one probe; returns the new health when it flipped.
    package mutating func record(success: Bool, policy: HealthCheckPolicy) -> EndpointHealth? {
        if success {
            consecutiveSuccesses += 1
            consecutiveFailures = 0
            if health != .healthy && consecutiveSuccesses >= policy.healthyThreshold {
                health = .healthy
                return health
            }
        } else {
            consecutiveFailures += 1
            consecutiveSuccesses = 0
            if health != .unhealthy && consecutiveFailures >= policy.unhealthyThreshold {
                health = .unhealthy
                return health
            }
        }
        return nil
    }
}
