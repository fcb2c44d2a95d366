/// Endpoints by runtime status.
package struct RegistryStats: Codable, Sendable, Equatable {
    package var total: Int
    package var active: Int
    package var inactive: Int
    package var disabled: Int
    package var unhealthy: Int

    package init(total: Int = 0, active: Int = 0, inactive: Int = 0, disabled: Int = 0, unhealthy: Int = 0) {
        self.total = total
        self.active = active
        self.inactive = inactive
        self.disabled = disabled
        self.unhealthy = unhealthy
    }
}

/// `GET /registry/stats`.
package struct RegistryStatsResponse: Codable, Sendable, Equatable {
    package var registryStats: RegistryStats
    package var timestamp: String

    package init(registryStats: RegistryStats, timestamp: String) {
        self.registryStats = registryStats
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case registryStats = "registry_stats"
        case timestamp
    }
}
