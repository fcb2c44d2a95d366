import AdminAPI
import Shared

extension EndpointDetails {
    /// `record` as the registry routes show it, with its health, latest probe and breaker state,
    /// and for a pool each upstream's.
    init(
        _ record: EndpointRecord, health: EndpointHealth, probe: HealthRecord?, breaker: String,
        upstreams runtime: UpstreamRuntime = UpstreamRuntime()
    ) {
        self.init(
            endpointId: record.name, url: record.config.url, name: record.name, version: record.config.version,
            methods: record.config.methods, authType: record.config.authType, disabled: record.config.disabled,
            status: Self.runtimeStatus(record, health: health), circuitBreakerState: breaker,
            registrationTime: record.registeredAt, lastHealthCheck: probe?.lastCheckTime,
            consecutiveFailures: probe?.consecutiveFailures ?? 0, lastFailureTime: nil, timeout: record.config.timeout,
            healthCheckPath: record.config.healthCheckPath, owner: record.owner.rawValue, health: health.rawValue,
            circuitBreaker: record.config.circuitBreaker, healthCheck: record.config.healthCheck,
            upstreams: record.config.upstreams.map { $0.map(runtime.status) },
            loadBalancing: record.config.loadBalancing, retry: record.config.retry,
            rateLimit: record.config.rateLimit, upstreamLimits: record.config.upstreamLimits,
            tunnelIdleTimeout: record.config.tunnelIdleTimeout, slowStart: record.config.slowStart)
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
            breaker: await breakerState(record.name), upstreams: await upstreamRuntime(record))
    }

    /// Every endpoint, in registration order. Health, probes and breaker states are gathered once
    /// for all endpoints, not once per endpoint.
    func allDetails() async throws -> [EndpointDetails] {
        try await details(of: try await registry.records())
    }

    /// `records` as the registry routes show them, in the given order.
    func details(of records: [EndpointRecord]) async throws -> [EndpointDetails] {
        let health = await registry.allHealth()
        let probes = await checker.recordsByEndpoint()
        let breakers = await breakerStates()
        let upstreamHealth = await checker.allUpstreamHealth()
        let upstreamBreakers = await upstreamBreakerReports()
        return records.map { record in
            EndpointDetails(
                record, health: health[record.name] ?? .unknown, probe: probes[record.name],
                breaker: breakers[record.name] ?? "closed",
                upstreams: UpstreamRuntime(
                    health: upstreamHealth[record.name] ?? [:],
                    breakers: UpstreamRuntime.merge(upstreamBreakers[record.name] ?? [])))
        }
    }

    /// The runtime state of `record`'s upstreams, when it has a pool.
    func upstreamRuntime(_ record: EndpointRecord) async -> UpstreamRuntime {
        guard record.config.upstreams != nil else { return UpstreamRuntime() }
        return UpstreamRuntime(
            health: await checker.upstreamHealth(record.name),
            breakers: await upstreamBreakers(record.name))
    }
}

extension RegistryStats {
    /// Counts one endpoint in its runtime status (see ``EndpointDetails/runtimeStatus(_:health:)``).
    mutating func count(_ status: String) {
        total += 1
        switch status {
        case "active": active += 1
        case "inactive": inactive += 1
        case "disabled": disabled += 1
        default: unhealthy += 1
        }
    }
}
