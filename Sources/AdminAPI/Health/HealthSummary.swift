/// The global health-check policy in force.
package struct HealthCheckPolicyView: Codable, Sendable, Equatable {
    package var enabled: Bool
    package var interval: Double
    package var timeout: Double
    package var unhealthyThreshold: Int
    package var healthyThreshold: Int

    package init(enabled: Bool, interval: Double, timeout: Double, unhealthyThreshold: Int, healthyThreshold: Int) {
        self.enabled = enabled
        self.interval = interval
        self.timeout = timeout
        self.unhealthyThreshold = unhealthyThreshold
        self.healthyThreshold = healthyThreshold
    }

    enum CodingKeys: String, CodingKey {
        case enabled
        case interval
        case timeout
        case unhealthyThreshold = "unhealthy_threshold"
        case healthyThreshold = "healthy_threshold"
    }
}

/// Probe results over every endpoint; unknown endpoints count as not unhealthy.
package struct HealthSummary: Codable, Sendable, Equatable {
    package var totalEndpoints: Int
    package var healthyEndpoints: Int
    package var unhealthyEndpoints: Int
    package var unknownEndpoints: Int
    package var healthPercentage: Double
    package var averageResponseTime: Double
    @NullEncoded package var lastCheckTime: String?
    package var config: HealthCheckPolicyView

    package init(
        totalEndpoints: Int, healthyEndpoints: Int, unhealthyEndpoints: Int, unknownEndpoints: Int,
        healthPercentage: Double, averageResponseTime: Double, lastCheckTime: String? = nil,
        config: HealthCheckPolicyView
    ) {
        self.totalEndpoints = totalEndpoints
        self.healthyEndpoints = healthyEndpoints
        self.unhealthyEndpoints = unhealthyEndpoints
        self.unknownEndpoints = unknownEndpoints
        self.healthPercentage = healthPercentage
        self.averageResponseTime = averageResponseTime
        self.lastCheckTime = lastCheckTime
        self.config = config
    }

    enum CodingKeys: String, CodingKey {
        case totalEndpoints = "total_endpoints"
        case healthyEndpoints = "healthy_endpoints"
        case unhealthyEndpoints = "unhealthy_endpoints"
        case unknownEndpoints = "unknown_endpoints"
        case healthPercentage = "health_percentage"
        case averageResponseTime = "average_response_time"
        case lastCheckTime = "last_check_time"
        case config
    }
}
