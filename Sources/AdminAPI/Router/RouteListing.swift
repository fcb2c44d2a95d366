/// One pattern of the route table replicas serve.
package struct RouteEntry: Codable, Sendable, Equatable {
    package var pattern: String
    package var endpointId: String
    package var targetURL: String
    package var methods: [String]
    package var status: String
    package var circuitBreakerState: String

    package init(
        pattern: String, endpointId: String, targetURL: String, methods: [String], status: String,
        circuitBreakerState: String
    ) {
        self.pattern = pattern
        self.endpointId = endpointId
        self.targetURL = targetURL
        self.methods = methods
        self.status = status
        self.circuitBreakerState = circuitBreakerState
    }

    enum CodingKeys: String, CodingKey {
        case pattern
        case endpointId = "endpoint_id"
        case targetURL = "target_url"
        case methods
        case status
        case circuitBreakerState = "circuit_breaker_state"
    }
}

/// `GET /router/routes`: the route table of the current snapshot.
package struct RouteListing: Codable, Sendable, Equatable {
    package var routes: [RouteEntry]
    package var totalCount: Int
    package var snapshotVersion: Int
    package var timestamp: String

    package init(routes: [RouteEntry], totalCount: Int, snapshotVersion: Int, timestamp: String) {
        self.routes = routes
        self.totalCount = totalCount
        self.snapshotVersion = snapshotVersion
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case routes
        case totalCount = "total_count"
        case snapshotVersion = "snapshot_version"
        case timestamp
    }
}
