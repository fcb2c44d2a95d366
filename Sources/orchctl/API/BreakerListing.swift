/// `GET /health/circuit-breakers`: each replica's breakers and one aggregate line per endpoint.
struct BreakerListing: Decodable, Sendable {
    struct Entry: Decodable, Sendable {
        var replicaId: String
        var endpointId: String
        var state: String
        var failureCount: Int
        var rejected: Int
        var stateChangedTime: String

        enum CodingKeys: String, CodingKey {
            case replicaId = "replica_id"
            case endpointId = "endpoint_id"
            case state
            case failureCount = "failure_count"
            case rejected
            case stateChangedTime = "state_changed_time"
        }
    }

    struct Aggregate: Decodable, Sendable {
        var endpointId: String
        var state: String
        var replicas: Int
        var openIn: [String]

        enum CodingKeys: String, CodingKey {
            case endpointId = "endpoint_id"
            case state, replicas
            case openIn = "open_in"
        }
    }

    var circuitBreakers: [Entry]
    var aggregate: [Aggregate]

    enum CodingKeys: String, CodingKey {
        case circuitBreakers = "circuit_breakers"
        case aggregate
    }
}

/// `POST /health/circuit-breakers/{id}/reset`.
struct BreakerResetResult: Decodable, Sendable {
    var message: String
}

/// `POST /health/check/{id}`.
struct HealthCheckResult: Decodable, Sendable {
    struct Record: Decodable, Sendable {
        var status: String
        var url: String
        var responseTime: Double?
        var errorMessage: String?
        var consecutiveFailures: Int
        var consecutiveSuccesses: Int

        enum CodingKeys: String, CodingKey {
            case status, url
            case responseTime = "response_time"
            case errorMessage = "error_message"
            case consecutiveFailures = "consecutive_failures"
            case consecutiveSuccesses = "consecutive_successes"
        }
    }

    var message: String
    var result: Record
}
