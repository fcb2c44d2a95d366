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

    static func endpoints(_ db: any StoreTransaction, health: [String: EndpointHealth]) throws -> [SnapshotEndpoint] {
        endpoints(try EndpointRecord.all(db), policies: try GlobalPolicies.load(db), health: health)
    }

    /// Makes `content` (the content before a change within `scope`) the content after it, in
    /// place; answers whether its configuration changed (health aside), and for a change to
    /// named endpoints, the change itself.
    ///
    /// `settings` are the stored settings when the caller knows them (only a change to everything
    /// changes them); they are read otherwise, and answered either way.
    static func update(
        _ content: inout SnapshotContent, _ db: any StoreTransaction, touching scope: ChangeScope,
        health: [String: EndpointHealth], settings known: Settings? = nil
    ) throws -> (changed: Bool, delta: SnapshotDelta?, settings: Settings) {
        let settings = try scope == .everything ? Settings.load(db) : known ?? Settings.load(db)
        let policies = settings.policies
        switch scope {
        case .everything:
            let records = try EndpointRecord.all(db)
            let next = SnapshotContent(
                records.map { (endpoint($0, policies: policies, health: health), $0.seq) }, proxy: settings.proxy,
                tls: settings.tls)
            let changed = !next.sameConfiguration(as: content)
            // Unchanged, the content keeps its endpoints' health as published.
            content = changed ? next : content.withSeqs(of: next)
            return (changed, nil, settings)
        case .endpoints(let names):
            var delta = SnapshotDelta()
            for name in names.sorted() {
                guard let record = try EndpointRecord.find(db, name: name) else {
                    if content[name] != nil { delta.remove.append(name) }
                    continue
                }
                let updated = endpoint(record, policies: policies, health: health)
                if SnapshotContent.sameConfiguration(content[name], updated) && content.seq(of: name) == record.seq {
                    continue
                }
                delta.upsert.append(.init(seq: record.seq, endpoint: updated))
            }
            delta.proxy = settings.proxy
            delta.tls = settings.tls
            let changed =
                !delta.upsert.isEmpty || !delta.remove.isEmpty || delta.proxy != content.proxy
                || delta.tls != content.tls
            delta.apply(to: &content)
            return (changed, delta, settings)
        }
    }

    /// What the stored settings put in a snapshot: the global policies, and the proxy limits
    /// and TLS settings as a snapshot carries them.
    struct Settings: Sendable, Equatable {
        var policies: GlobalPolicies
        var proxy: ProxyLimits?
        var tls: TLSSettings?

        static func load(_ db: any StoreTransaction) throws -> Settings {
            Settings(
                policies: try GlobalPolicies.load(db), proxy: try SnapshotBuilder.proxy(db),
                tls: try SnapshotBuilder.tls(db))
        }
    }

    /// The limits as a snapshot carries them: `nil` when they are the defaults, so that a gateway
    /// without a `proxy:` section publishes the same snapshots (and checksums) as before the
    /// section existed, and replicas that predate it keep accepting them.
    static func proxy(_ limits: ProxyLimits) -> ProxyLimits? {
        limits == .defaults ? nil : limits
    }

    static func proxy(_ db: any StoreTransaction) throws -> ProxyLimits? {
        proxy(try ProxyLimits.load(db))
    }

    /// The TLS settings a snapshot carries: the stored ones, `nil` without a `tls:` section (so
    /// such a snapshot keeps the checksum it had before the section existed).
    static func tls(_ db: any StoreTransaction) throws -> TLSSettings? {
        try TLSSettings.load(db)
    }
}
