import Shared

/// `GET /config/endpoints`: the endpoints as written in the loaded file.
package struct ConfigEndpoints: Codable, Sendable, Equatable {
    package var endpoints: [EndpointConfig]
    package var totalCount: Int
    package var disabledCount: Int
    package var activeCount: Int

    package init(endpoints: [EndpointConfig], totalCount: Int, disabledCount: Int, activeCount: Int) {
        self.endpoints = endpoints
        self.totalCount = totalCount
        self.disabledCount = disabledCount
        self.activeCount = activeCount
    }

    enum CodingKeys: String, CodingKey {
        case endpoints
        case totalCount = "total_count"
        case disabledCount = "disabled_count"
        case activeCount = "active_count"
    }
}
