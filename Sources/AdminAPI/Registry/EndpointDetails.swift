import Shared

/// An endpoint as the registry routes show it (the original's `EndpointDetails`, plus `owner`,
/// `health`, `health_check_path` and the endpoint's own policy overrides).
package struct EndpointDetails: Codable, Sendable, Equatable {
    package var endpointId: String
    package var url: String
    package var name: String
    @NullEncoded package var version: String?
    package var methods: [String]
    package var authType: String
    package var disabled: Bool
    /// `active`, `inactive`, `disabled` or `unhealthy`.
    package var status: String
    package var circuitBreakerState: String
    package var registrationTime: String
    @NullEncoded package var lastHealthCheck: String?
    package var consecutiveFailures: Int
    @NullEncoded package var lastFailureTime: String?
    package var timeout: Int
    @NullEncoded package var healthCheckPath: String?
    /// `file` or `api`.
    package var owner: String
    /// `healthy`, `unhealthy` or `unknown`.
    package var health: String
    /// The endpoint's own breaker overrides, as written (absent when it has none).
    package var circuitBreaker: BreakerPolicyOverride?
    /// The endpoint's own health-check overrides, as written (absent when it has none).
    package var healthCheck: HealthCheckPolicyOverride?
    /// The upstream pool with each upstream's health, breaker state and requests in flight
    /// (absent for an endpoint with one `url`, which `url` shows; with a pool, `url` is its first
    /// upstream's).
    package var upstreams: [UpstreamStatus]?
    /// The balancing, retry and rate-limit policies, as written (absent when not set).
    package var loadBalancing: LoadBalancing?
    package var retry: RetryPolicy?
    package var rateLimit: RateLimitPolicy?
    package var upstreamLimits: UpstreamLimits?
    package var tunnelIdleTimeout: Int?
    package var slowStart: Double?

    package init(
        endpointId: String, url: String, name: String, version: String? = nil, methods: [String], authType: String,
        disabled: Bool, status: String, circuitBreakerState: String, registrationTime: String,
        lastHealthCheck: String? = nil, consecutiveFailures: Int, lastFailureTime: String? = nil, timeout: Int,
        healthCheckPath: String? = nil, owner: String, health: String, circuitBreaker: BreakerPolicyOverride? = nil,
        healthCheck: HealthCheckPolicyOverride? = nil, upstreams: [UpstreamStatus]? = nil,
        loadBalancing: LoadBalancing? = nil, retry: RetryPolicy? = nil, rateLimit: RateLimitPolicy? = nil,
        upstreamLimits: UpstreamLimits? = nil, tunnelIdleTimeout: Int? = nil,
        slowStart: Double? = nil
    ) {
        self.endpointId = endpointId
        self.url = url
        self.name = name
        self.version = version
        self.methods = methods
        self.authType = authType
        self.disabled = disabled
        self.status = status
        self.circuitBreakerState = circuitBreakerState
        self.registrationTime = registrationTime
        self.lastHealthCheck = lastHealthCheck
        self.consecutiveFailures = consecutiveFailures
        self.lastFailureTime = lastFailureTime
        self.timeout = timeout
        self.healthCheckPath = healthCheckPath
        self.owner = owner
        self.health = health
        self.circuitBreaker = circuitBreaker
        self.healthCheck = healthCheck
        self.upstreams = upstreams
        self.loadBalancing = loadBalancing
        self.retry = retry
        self.rateLimit = rateLimit
        self.upstreamLimits = upstreamLimits
        self.tunnelIdleTimeout = tunnelIdleTimeout
        self.slowStart = slowStart
    }

    enum CodingKeys: String, CodingKey {
        case endpointId = "endpoint_id"
        case url
        case name
        case version
        case methods
        case authType = "auth_type"
        case disabled
        case status
        case circuitBreakerState = "circuit_breaker_state"
        case registrationTime = "registration_time"
        case lastHealthCheck = "last_health_check"
        case consecutiveFailures = "consecutive_failures"
        case lastFailureTime = "last_failure_time"
        case timeout
        case healthCheckPath = "health_check_path"
        case owner
        case health
        case circuitBreaker = "circuit_breaker"
        case healthCheck = "health_check"
        case upstreams
        case loadBalancing = "load_balancing"
        case retry
        case rateLimit = "rate_limit"
        case upstreamLimits = "upstream_limits"
        case tunnelIdleTimeout = "tunnel_idle_timeout"
        case slowStart = "slow_start"
    }
}
