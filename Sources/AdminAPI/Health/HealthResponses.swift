/// `GET /health/status`.
package struct HealthStatusResponse: Codable, Sendable, Equatable {
    /// `healthy`, `degraded` or `unhealthy`.
    package var systemStatus: String
    package var timestamp: String
    package var summary: HealthSummary
    package var circuitBreakerSummary: BreakerSummary

    package init(
        systemStatus: String, timestamp: String, summary: HealthSummary, circuitBreakerSummary: BreakerSummary
    ) {
        self.systemStatus = systemStatus
        self.timestamp = timestamp
        self.summary = summary
        self.circuitBreakerSummary = circuitBreakerSummary
    }

    enum CodingKeys: String, CodingKey {
        case systemStatus = "system_status"
        case timestamp
        case summary
        case circuitBreakerSummary = "circuit_breaker_summary"
    }
}

/// `GET /health/summary`.
package struct HealthSummaryResponse: Codable, Sendable, Equatable {
    package var summary: HealthSummary
    package var timestamp: String

    package init(summary: HealthSummary, timestamp: String) {
        self.summary = summary
        self.timestamp = timestamp
    }
}

/// `GET /health/endpoints`.
package struct HealthRecordList: Codable, Sendable, Equatable {
    package var endpoints: [HealthRecord]
    package var totalCount: Int
    package var timestamp: String

    package init(endpoints: [HealthRecord], totalCount: Int, timestamp: String) {
        self.endpoints = endpoints
        self.totalCount = totalCount
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case endpoints
        case totalCount = "total_count"
        case timestamp
    }
}

/// `GET /health/unhealthy`.
package struct UnhealthyEndpoints: Codable, Sendable, Equatable {
    package var unhealthyEndpoints: [HealthRecord]
    package var count: Int
    package var timestamp: String

    package init(unhealthyEndpoints: [HealthRecord], count: Int, timestamp: String) {
        self.unhealthyEndpoints = unhealthyEndpoints
        self.count = count
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case unhealthyEndpoints = "unhealthy_endpoints"
        case count
        case timestamp
    }
}

/// `POST /health/check/{id}`: a probe made now.
package struct HealthCheckResult: Codable, Sendable, Equatable {
    package var success: Bool
    package var message: String
    package var result: HealthRecord
    package var timestamp: String

    package init(success: Bool = true, message: String, result: HealthRecord, timestamp: String) {
        self.success = success
        self.message = message
        self.result = result
        self.timestamp = timestamp
    }
}
