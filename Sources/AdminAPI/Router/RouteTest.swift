/// One GET to an endpoint's health-check URL (or base URL).
package struct RouteTestResult: Codable, Sendable, Equatable {
    package var endpointId: String
    package var url: String
    @NullEncoded package var statusCode: Int?
    /// Seconds.
    package var responseTime: Double
    package var success: Bool
    @NullEncoded package var error: String?

    package init(
        endpointId: String, url: String, statusCode: Int? = nil, responseTime: Double, success: Bool,
        error: String? = nil
    ) {
        self.endpointId = endpointId
        self.url = url
        self.statusCode = statusCode
        self.responseTime = responseTime
        self.success = success
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case endpointId = "endpoint_id"
        case url
        case statusCode = "status_code"
        case responseTime = "response_time"
        case success
        case error
    }
}

/// `GET /router/test/{id}`.
package struct RouteTested: Codable, Sendable, Equatable {
    package var testResult: RouteTestResult
    package var timestamp: String

    package init(testResult: RouteTestResult, timestamp: String) {
        self.testResult = testResult
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case testResult = "test_result"
        case timestamp
    }
}
