import Shared

/// An endpoint as the registry routes show it (the original's `EndpointDetails`, plus `owner`,
/// `health` and `health_check_path`).
struct EndpointDetails: Encodable, Sendable {
    var endpointId: String
    var url: String
    var name: String
    var version: String?
    var methods: [String]
    var authType: String
    var disabled: Bool
    var status: String
    var circuitBreakerState: String
    var registrationTime: String
    var lastHealthCheck: String?
    var consecutiveFailures: Int
    var lastFailureTime: String?
    var timeout: Int
    var healthCheckPath: String?
    var owner: String
    var health: String
    /// The endpoint's own policy overrides, as written (absent when it has none).
    var circuitBreaker: BreakerPolicyOverride?
    var healthCheck: HealthCheckPolicyOverride?

    enum CodingKeys: String, CodingKey {
        case endpointId = "endpoint_id"
        case url, name, version, methods
        case authType = "auth_type"
        case disabled, status
        case circuitBreakerState = "circuit_breaker_state"
        case registrationTime = "registration_time"
        case lastHealthCheck = "last_health_check"
        case consecutiveFailures = "consecutive_failures"
        case lastFailureTime = "last_failure_time"
        case timeout
        case healthCheckPath = "health_check_path"
        case owner, health
        case circuitBreaker = "circuit_breaker"
        case healthCheck = "health_check"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(endpointId, forKey: .endpointId)
        try container.encode(url, forKey: .url)
        try container.encode(name, forKey: .name)
        try container.encode(version, forKey: .version)
        try container.encode(methods, forKey: .methods)
        try container.encode(authType, forKey: .authType)
        try container.encode(disabled, forKey: .disabled)
        try container.encode(status, forKey: .status)
        try container.encode(circuitBreakerState, forKey: .circuitBreakerState)
        try container.encode(registrationTime, forKey: .registrationTime)
        try container.encode(lastHealthCheck, forKey: .lastHealthCheck)
        try container.encode(consecutiveFailures, forKey: .consecutiveFailures)
        try container.encode(lastFailureTime, forKey: .lastFailureTime)
        try container.encode(timeout, forKey: .timeout)
        try container.encode(healthCheckPath, forKey: .healthCheckPath)
        try container.encode(owner, forKey: .owner)
        try container.encode(health, forKey: .health)
        try container.encodeIfPresent(circuitBreaker, forKey: .circuitBreaker)
        try container.encodeIfPresent(healthCheck, forKey: .healthCheck)
    }

    init(_ record: EndpointRecord, health: EndpointHealth, probe: HealthRecord?, breaker: String) {
        endpointId = record.name
        url = record.config.url
        name = record.name
        version = record.config.version
        methods = record.config.methods
        authType = record.config.authType
        disabled = record.config.disabled
        status = Self.runtimeStatus(record, health: health)
        circuitBreakerState = breaker
        registrationTime = record.registeredAt
        lastHealthCheck = probe?.lastCheckTime
        consecutiveFailures = probe?.consecutiveFailures ?? 0
        lastFailureTime = nil
        timeout = record.config.timeout
        healthCheckPath = record.config.healthCheckPath
        owner = record.owner.rawValue
        self.health = health.rawValue
        circuitBreaker = record.config.circuitBreaker
        healthCheck = record.config.healthCheck
    }

    /// `disabled` (config flag or operator), `inactive`, `unhealthy` (operator or probes), else `active`.
    static func runtimeStatus(_ record: EndpointRecord, health: EndpointHealth) -> String {
        if record.config.disabled { return "disabled" }
        switch record.status {
        case .inactive: return "inactive"
        case .disabled: return "disabled"
        case .unhealthy: return "unhealthy"
        case .active: return health == .unhealthy ? "unhealthy" : "active"
        }
    }
}

extension AdminServices {
    /// The registry's view of one endpoint with its latest probe.
    func details(_ record: EndpointRecord) async -> EndpointDetails {
        EndpointDetails(
            record, health: await registry.healthOf(record.name), probe: await checker.record(record.name),
            breaker: await breakerState(record.name))
    }

    /// Every endpoint, in registration order.
    func allDetails() async throws -> [EndpointDetails] {
        var list: [EndpointDetails] = []
        for record in try await registry.records() { list.append(await details(record)) }
        return list
    }
}
