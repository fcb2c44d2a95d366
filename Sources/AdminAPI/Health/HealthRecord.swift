/// The latest probe of one endpoint, in the original's `HealthRecord` shape.
package struct HealthRecord: Codable, Sendable, Equatable {
    package var endpointId: String
    /// `active`, `unhealthy`, or `unknown` before the thresholds decided.
    package var status: String
    package var lastCheckTime: String
    @NullEncoded package var responseTime: Double?
    @NullEncoded package var errorMessage: String?
    package var consecutiveFailures: Int
    package var consecutiveSuccesses: Int
    package var url: String

    package init(
        endpointId: String, status: String, lastCheckTime: String, responseTime: Double? = nil,
        errorMessage: String? = nil, consecutiveFailures: Int, consecutiveSuccesses: Int, url: String
    ) {
        self.endpointId = endpointId
        self.status = status
        self.lastCheckTime = lastCheckTime
        self.responseTime = responseTime
        self.errorMessage = errorMessage
        self.consecutiveFailures = consecutiveFailures
        self.consecutiveSuccesses = consecutiveSuccesses
        self.url = url
    }

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
}
