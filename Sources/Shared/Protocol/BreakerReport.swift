/// The state of one endpoint's circuit breaker in one replica, as replicas report it.
public struct BreakerReport: Sendable, Equatable, Codable {
    public var endpoint: String
    /// `closed`, `open` or `half_open`.
    public var state: String
    /// Consecutive failures counted so far.
    public var failureCount: Int
    public var lastFailureTime: String?
    public var lastSuccessTime: String?
    public var stateChangedTime: String
    /// Half-open trials in flight.
    public var halfOpenCalls: Int
    /// Requests refused without touching the upstream since the replica started.
    public var rejected: Int
    /// State changes since the replica started.
    public var transitions: Int
    public var failureThreshold: Int
    public var resetTimeout: Double
    public var halfOpenMaxCalls: Int
    /// For a pool, each upstream's own breaker (outlier ejection) and tries; `nil` otherwise,
    /// and in reports of older replicas.
    public var upstreams: [UpstreamBreakerReport]?

    public init(
        endpoint: String, state: String, failureCount: Int, lastFailureTime: String?, lastSuccessTime: String?,
        stateChangedTime: String, halfOpenCalls: Int, rejected: Int, transitions: Int, failureThreshold: Int,
        resetTimeout: Double, halfOpenMaxCalls: Int, upstreams: [UpstreamBreakerReport]? = nil
    ) {
        self.upstreams = upstreams
        self.endpoint = endpoint
        self.state = state
        self.failureCount = failureCount
        self.lastFailureTime = lastFailureTime
        self.lastSuccessTime = lastSuccessTime
        self.stateChangedTime = stateChangedTime
        self.halfOpenCalls = halfOpenCalls
        self.rejected = rejected
        self.transitions = transitions
        self.failureThreshold = failureThreshold
        self.resetTimeout = resetTimeout
        self.halfOpenMaxCalls = halfOpenMaxCalls
    }

    enum CodingKeys: String, CodingKey {
        case endpoint, state
        case failureCount = "failure_count"
        case lastFailureTime = "last_failure_time"
        case lastSuccessTime = "last_success_time"
        case stateChangedTime = "state_changed_time"
        case halfOpenCalls = "half_open_calls"
        case rejected, transitions
        case failureThreshold = "failure_threshold"
        case resetTimeout = "reset_timeout"
        case halfOpenMaxCalls = "half_open_max_calls"
        case upstreams
    }
}
