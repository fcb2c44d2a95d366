import Shared

/// One endpoint's breaker in one replica.
package struct BreakerEntry: Codable, Sendable, Equatable {
    /// The policy the replica applies.
    package struct Config: Codable, Sendable, Equatable {
        package var failureThreshold: Int
        package var resetTimeout: Double
        package var halfOpenMaxCalls: Int
        package var fallbackStrategy: String

        package init(
            failureThreshold: Int, resetTimeout: Double, halfOpenMaxCalls: Int,
            fallbackStrategy: String = "error_response"
        ) {
            self.failureThreshold = failureThreshold
            self.resetTimeout = resetTimeout
            self.halfOpenMaxCalls = halfOpenMaxCalls
            self.fallbackStrategy = fallbackStrategy
        }

        enum CodingKeys: String, CodingKey {
            case failureThreshold = "failure_threshold"
            case resetTimeout = "reset_timeout"
            case halfOpenMaxCalls = "half_open_max_calls"
            case fallbackStrategy = "fallback_strategy"
        }
    }

    package var replicaId: String
    package var endpointId: String
    /// `closed`, `open` or `half_open`.
    package var state: String
    package var failureCount: Int
    @NullEncoded package var lastFailureTime: String?
    @NullEncoded package var lastSuccessTime: String?
    package var stateChangedTime: String
    package var halfOpenCalls: Int
    package var rejected: Int
    package var transitions: Int
    package var config: Config
    /// For a pool, each upstream's breaker in this replica (absent for one upstream).
    package var upstreams: [UpstreamBreakerReport]?

    package init(
        replicaId: String, endpointId: String, state: String, failureCount: Int, lastFailureTime: String? = nil,
        lastSuccessTime: String? = nil, stateChangedTime: String, halfOpenCalls: Int, rejected: Int, transitions: Int,
        config: Config, upstreams: [UpstreamBreakerReport]? = nil
    ) {
        self.upstreams = upstreams
        self.replicaId = replicaId
        self.endpointId = endpointId
        self.state = state
        self.failureCount = failureCount
        self.lastFailureTime = lastFailureTime
        self.lastSuccessTime = lastSuccessTime
        self.stateChangedTime = stateChangedTime
        self.halfOpenCalls = halfOpenCalls
        self.rejected = rejected
        self.transitions = transitions
        self.config = config
    }

    enum CodingKeys: String, CodingKey {
        case replicaId = "replica_id"
        case endpointId = "endpoint_id"
        case state
        case failureCount = "failure_count"
        case lastFailureTime = "last_failure_time"
        case lastSuccessTime = "last_success_time"
        case stateChangedTime = "state_changed_time"
        case halfOpenCalls = "half_open_calls"
        case rejected
        case transitions
        case config
        case upstreams
    }
}
