/// `GET /health`: the gateway in one word (the same as `/health/status`) and its counts.
package struct GatewayHealth: Codable, Sendable, Equatable {
    /// The watched config file.
    package struct Configuration: Codable, Sendable, Equatable {
        package var loaded: Bool
        package var endpointsCount: Int
        package var lastReloadOK: Bool

        package init(loaded: Bool, endpointsCount: Int, lastReloadOK: Bool) {
            self.loaded = loaded
            self.endpointsCount = endpointsCount
            self.lastReloadOK = lastReloadOK
        }

        enum CodingKeys: String, CodingKey {
            case loaded
            case endpointsCount = "endpoints_count"
            case lastReloadOK = "last_reload_ok"
        }
    }

    /// Registered endpoints.
    package struct Registry: Codable, Sendable, Equatable {
        package var totalEndpoints: Int
        package var activeEndpoints: Int
        package var unhealthyEndpoints: Int

        package init(totalEndpoints: Int, activeEndpoints: Int, unhealthyEndpoints: Int) {
            self.totalEndpoints = totalEndpoints
            self.activeEndpoints = activeEndpoints
            self.unhealthyEndpoints = unhealthyEndpoints
        }

        enum CodingKeys: String, CodingKey {
            case totalEndpoints = "total_endpoints"
            case activeEndpoints = "active_endpoints"
            case unhealthyEndpoints = "unhealthy_endpoints"
        }
    }

    /// Active health checks.
    package struct Monitoring: Codable, Sendable, Equatable {
        package var enabled: Bool
        package var monitoredEndpoints: Int
        package var healthyEndpoints: Int
        package var healthPercentage: Double

        package init(enabled: Bool, monitoredEndpoints: Int, healthyEndpoints: Int, healthPercentage: Double) {
            self.enabled = enabled
            self.monitoredEndpoints = monitoredEndpoints
            self.healthyEndpoints = healthyEndpoints
            self.healthPercentage = healthPercentage
        }

        enum CodingKeys: String, CodingKey {
            case enabled
            case monitoredEndpoints = "monitored_endpoints"
            case healthyEndpoints = "healthy_endpoints"
            case healthPercentage = "health_percentage"
        }
    }

    /// `healthy`, `degraded` or `unhealthy`.
    package var status: String
    package var timestamp: String
    package var uptimeSeconds: Int
    package var snapshotVersion: Int
    package var configuration: Configuration
    package var registry: Registry
    package var healthMonitoring: Monitoring

    package init(
        status: String, timestamp: String, uptimeSeconds: Int, snapshotVersion: Int, configuration: Configuration,
        registry: Registry, healthMonitoring: Monitoring
    ) {
        self.status = status
        self.timestamp = timestamp
        self.uptimeSeconds = uptimeSeconds
        self.snapshotVersion = snapshotVersion
        self.configuration = configuration
        self.registry = registry
        self.healthMonitoring = healthMonitoring
    }

    enum CodingKeys: String, CodingKey {
        case status
        case timestamp
        case uptimeSeconds = "uptime_s"
        case snapshotVersion = "snapshot_version"
        case configuration
        case registry
        case healthMonitoring = "health_monitoring"
    }
}

/// `GET /health` with 503: the store cannot be read.
package struct GatewayHealthFailure: Codable, Sendable, Equatable {
    package var status: String
    package var error: String
    package var timestamp: String

    package init(status: String = "unhealthy", error: String, timestamp: String) {
        self.status = status
        self.error = error
        self.timestamp = timestamp
    }
}
