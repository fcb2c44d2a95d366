/// The latest probe of one endpoint, in the original's `HealthRecord` shape.
package struct HealthRecord: Sendable, Codable, Equatable {
    package var endpointId: String
    /// `active`, `unhealthy`, or `unknown` before the thresholds decided.
    package var status: String
    package var lastCheckTime: String
    package var responseTime: Double?
    package var errorMessage: String?
    package var consecutiveFailures: Int
    package var consecutiveSuccesses: Int
    package var url: String

    enum CodingKeys: String, CodingKey {
        case endpointId = "endpoint_id"
        case status
        case lastCheckTime = "last_check_time"
        case responseTime = "response_time"
        case errorMessage = "error_message"
        case consecutiveFailures = "consecutive_failures"
        case consecutiveSuccesses = "consecutive_successes"
        case url
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(endpointId, forKey: .endpointId)
        try container.encode(status, forKey: .status)
        try container.encode(lastCheckTime, forKey: .lastCheckTime)
        try container.encode(responseTime, forKey: .responseTime)
        try container.encode(errorMessage, forKey: .errorMessage)
        try container.encode(consecutiveFailures, forKey: .consecutiveFailures)
        try container.encode(consecutiveSuccesses, forKey: .consecutiveSuccesses)
        try container.encode(url, forKey: .url)
    }
}
