/// One endpoint's breakers over every replica: open if open in any, else half-open if
/// half-open in any, else closed.
package struct BreakerAggregate: Codable, Sendable, Equatable {
    package var endpointId: String
    package var state: String
    package var replicas: Int
    package var openIn: [String]

    package init(endpointId: String, state: String, replicas: Int, openIn: [String]) {
        self.endpointId = endpointId
        self.state = state
        self.replicas = replicas
        self.openIn = openIn
    }

    enum CodingKeys: String, CodingKey {
        case endpointId = "endpoint_id"
        case state
        case replicas
        case openIn = "open_in"
    }
}

/// `GET /health/circuit-breakers`: each replica's breakers and one aggregate line per endpoint.
package struct BreakerListing: Codable, Sendable, Equatable {
    package var summary: BreakerSummary
    package var circuitBreakers: [BreakerEntry]
    package var aggregate: [BreakerAggregate]
    package var timestamp: String

    package init(
        summary: BreakerSummary, circuitBreakers: [BreakerEntry], aggregate: [BreakerAggregate], timestamp: String
    ) {
        self.summary = summary
        self.circuitBreakers = circuitBreakers
        self.aggregate = aggregate
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case summary
        case circuitBreakers = "circuit_breakers"
        case aggregate
        case timestamp
    }
}

/// `GET /health/circuit-breakers/open`.
package struct OpenBreakerListing: Codable, Sendable, Equatable {
    package var openCircuitBreakers: [BreakerEntry]
    package var count: Int
    package var timestamp: String

    package init(openCircuitBreakers: [BreakerEntry], count: Int, timestamp: String) {
        self.openCircuitBreakers = openCircuitBreakers
        self.count = count
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case openCircuitBreakers = "open_circuit_breakers"
        case count
        case timestamp
    }
}

/// `POST /health/circuit-breakers/{id}/reset`.
package struct BreakerResetResult: Codable, Sendable, Equatable {
    package var success: Bool
    package var message: String
    package var endpointId: String
    package var replicas: Int

    package init(success: Bool = true, message: String, endpointId: String, replicas: Int) {
        self.success = success
        self.message = message
        self.endpointId = endpointId
        self.replicas = replicas
    }

    enum CodingKeys: String, CodingKey {
        case success
        case message
        case endpointId = "endpoint_id"
        case replicas
    }
}
