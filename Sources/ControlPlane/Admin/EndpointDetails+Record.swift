import AdminAPI
import Shared

extension EndpointDetails {
    /// `record` as the registry routes show it, with its health, latest probe and breaker state.
    init(_ record: EndpointRecord, health: EndpointHealth, probe: HealthRecord?, breaker: String) {
        self.init(
            endpointId: record.name, url: record.config.url, name: record.name, version: record.config.version,
            methods: record.config.methods, authType: record.config.authType, disabled: record.config.disabled,
            status: Self.runtimeStatus(record, health: health), circuitBreakerState: breaker,
            registrationTime: record.registeredAt, lastHealthCheck: probe?.lastCheckTime,
            consecutiveFailures: probe?.consecutiveFailures ?? 0, lastFailureTime: nil, timeout: record.config.timeout,
            healthCheckPath: record.config.healthCheckPath, owner: record.owner.rawValue, health: health.rawValue,
            circuitBreaker: record.config.circuitBreaker, healthCheck: record.config.healthCheck)
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
