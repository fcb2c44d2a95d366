import GRDB
import Shared

/// Builds the snapshot content from the store's rows, the global policies, the proxy limits, the
/// TLS settings and current health.
enum SnapshotBuilder {
    static func endpoint(
        _ record: EndpointRecord, policies: GlobalPolicies, health: [String: EndpointHealth]
    ) -> SnapshotEndpoint {
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

    static func endpoints(
        _ records: [EndpointRecord],
        policies: GlobalPolicies,
        health: [String: EndpointHealth]
    ) -> [SnapshotEndpoint] {
        records.map { endpoint($0, policies: policies, health: health) }
    }

    static func endpoints(_ db: Database, health: [String: EndpointHealth]) throws -> [SnapshotEndpoint] {
        endpoints(try EndpointRecord.all(db), policies: try GlobalPolicies.load(db), health: health)
    }

    /// The content after a change within `scope`, made from `base` (the content before it),
    /// whether its configuration differs from `base` (health aside), and for a change to named
    /// endpoints, the change itself.
    static func content(
        _ db: Database, after base: SnapshotContent, touching scope: ChangeScope, health: [String: EndpointHealth]
    ) throws -> (content: SnapshotContent, changed: Bool, delta: SnapshotDelta?) {
        let policies = try GlobalPolicies.load(db)
        switch scope {
        case .everything:
            let records = try EndpointRecord.all(db)
            var next = SnapshotContent(
                records.map { (endpoint($0, policies: policies, health: health), $0.seq) }, proxy: try proxy(db),
                tls: try tls(db))
            let changed = !next.sameConfiguration(as: base)
            // Unchanged, the content keeps its endpoints' health as published.
            if !changed { next = base.withSeqs(of: next) }
            return (next, changed, nil)
        case .endpoints(let names):
            var delta = SnapshotDelta()
            for name in names.sorted() {
                guard let record = try EndpointRecord.find(db, name: name) else {
                    if base[name] != nil { delta.remove.append(name) }
                    continue
                }
                let updated = endpoint(record, policies: policies, health: health)
                if SnapshotContent.sameConfiguration(base[name], updated) && base.seq(of: name) == record.seq {
                    continue
                }
                delta.upsert.append(.init(seq: record.seq, endpoint: updated))
            }
            delta.proxy = try proxy(db)
            delta.tls = try tls(db)
            let changed =
                !delta.upsert.isEmpty || !delta.remove.isEmpty || delta.proxy != base.proxy || delta.tls != base.tls
            return (delta.applied(to: base), changed, delta)
        }
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
