/// Breakers by endpoint, aggregated over replicas.
package struct BreakerSummary: Codable, Sendable, Equatable {
    package var totalCircuitBreakers: Int
    package var openBreakers: Int
    package var halfOpenBreakers: Int
    package var closedBreakers: Int
    package var healthPercentage: Double

    package init(
        totalCircuitBreakers: Int = 0, openBreakers: Int = 0, halfOpenBreakers: Int = 0, closedBreakers: Int = 0,
        healthPercentage: Double = 100
    ) {
        self.totalCircuitBreakers = totalCircuitBreakers
        self.openBreakers = openBreakers
        self.halfOpenBreakers = halfOpenBreakers
        self.closedBreakers = closedBreakers
        self.healthPercentage = healthPercentage
    }

    enum CodingKeys: String, CodingKey {
        case totalCircuitBreakers = "total_circuit_breakers"
        case openBreakers = "open_breakers"
        case halfOpenBreakers = "half_open_breakers"
        case closedBreakers = "closed_breakers"
        case healthPercentage = "health_percentage"
    }
}
