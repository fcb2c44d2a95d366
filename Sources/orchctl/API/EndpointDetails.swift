/// An endpoint as `/registry/endpoints` shows it.
struct EndpointDetails: Decodable, Sendable {
    var endpointId: String
    var url: String
    var name: String
    var version: String?
    var methods: [String]
    var authType: String
    var disabled: Bool
    var status: String
    var circuitBreakerState: String?
    var registrationTime: String?
    var lastHealthCheck: String?
    var consecutiveFailures: Int?
    var lastFailureTime: String?
    var timeout: Int
    var healthCheckPath: String?
    var owner: String?
    var health: String?

    enum CodingKeys: String, CodingKey {
        case endpointId = "endpoint_id"
        case url, name, version, methods
        case authType = "auth_type"
        case disabled, status
        case circuitBreakerState = "circuit_breaker_state"
        case registrationTime = "registration_time"
        case lastHealthCheck = "last_health_check"
        case consecutiveFailures = "consecutive_failures"
        case lastFailureTime = "last_failure_time"
        case timeout
        case healthCheckPath = "health_check_path"
        case owner, health
    }
}

/// `GET /registry/endpoints`.
struct EndpointList: Decodable, Sendable {
    var endpoints: [EndpointDetails]
    var totalCount: Int
    var activeCount: Int?
    var unhealthyCount: Int?
    var disabledCount: Int?

    enum CodingKeys: String, CodingKey {
        case endpoints
        case totalCount = "total_count"
        case activeCount = "active_count"
        case unhealthyCount = "unhealthy_count"
        case disabledCount = "disabled_count"
    }
}

/// The answer to a write on `/registry/endpoints` (register, replace, remove, status).
struct EndpointWriteResult: Decodable, Sendable {
    var success: Bool?
    var message: String
    var endpointId: String?

    enum CodingKeys: String, CodingKey {
        case success, message
        case endpointId = "endpoint_id"
    }
}
