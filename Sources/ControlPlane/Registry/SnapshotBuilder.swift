import GRDB
import Shared

/// Builds the snapshot content from the store's rows, the global policies, the proxy limits, the
/// TLS settings and current health.
enum SnapshotBuilder {
    static func endpoints(
        _ records: [EndpointRecord],
        policies: GlobalPolicies,
        health: [String: EndpointHealth]
    ) -> [SnapshotEndpoint] {
        records.map { record in
            let breaker = record.config.circuitBreaker?.applied(to: policies.circuitBreaker) ?? policies.circuitBreaker
            let probing = record.config.healthCheck?.applied(to: policies.healthCheck) ?? policies.healthCheck
            return SnapshotEndpoint(
                config: record.config,
                owner: record.owner,
                circuitBreaker: breaker,
                healthCheck: probing,
                health: probing.enabled ? health[record.name] ?? .unknown : .unknown,
                status: record.status
            )
        }
    }

    static func endpoints(_ db: Database, health: [String: EndpointHealth]) throws -> [SnapshotEndpoint] {
        endpoints(try EndpointRecord.all(db), policies: try GlobalPolicies.load(db), health: health)
    }

    /// The limits as a snapshot carries them: `nil` when they are the defaults, so that a gateway
    /// without a `proxy:` section publishes the same snapshots (and checksums) as before the
    /// section existed, and replicas that predate it keep accepting them.
    static func proxy(_ limits: ProxyLimits) -> ProxyLimits? {
        limits == .defaults ? nil : limits
    }

    static func proxy(_ db: Database) throws -> ProxyLimits? {
        proxy(try ProxyLimits.load(db))
    }

    /// The TLS settings a snapshot carries: the stored ones, `nil` without a `tls:` section (so
    /// such a snapshot keeps the checksum it had before the section existed).
    static func tls(_ db: Database) throws -> TLSSettings? {
        try TLSSettings.load(db)
    }
}
