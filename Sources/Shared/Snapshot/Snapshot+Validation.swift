extension Snapshot {
    /// Validates a snapshot received as a node tree with the same rules the control plane uses
    /// for config files (the `proxy` section's limits too), and checks its checksum.
    ///
    /// - Throws: ``ValidationError`` naming every problem.
    public static func validate(_ node: ConfigNode) throws(ValidationError) -> Snapshot {
        let context = ValidationContext()
        let keys = Set(CodingKeys.allCases.map(\.rawValue))
        guard let reader = ObjectReader(node, path: "snapshot", allowedKeys: keys, context: context) else {
            throw ValidationError(context.issues)
        }
        let version = reader.integer("version", in: 1...Int.max)
        if version == nil, !reader.has("version") { reader.requireMissing("version") }
        let checksum = reader.string("checksum")
        if checksum == nil { reader.requireMissing("checksum") }
        var endpoints: [SnapshotEndpoint] = []
        var names = Set<String>()
        let endpointKeys = Set(SnapshotEndpoint.CodingKeys.allCases.map(\.rawValue))
        _ = reader.list("endpoints") { item, path -> Bool? in
            guard let entry = ObjectReader(item, path: path, allowedKeys: endpointKeys, context: context) else {
                return nil
            }
            guard let endpoint = SnapshotEndpoint.read(entry) else { return nil }
            if !names.insert(endpoint.name).inserted {
                entry.fail("config", "duplicate endpoint name '\(endpoint.name)'")
                return nil
            }
            endpoints.append(endpoint)
            return true
        }
        let proxy = reader.object("proxy", allowedKeys: ProxyLimits.allowedKeys).map(ProxyLimits.read)
        let tls = reader.object("tls", allowedKeys: TLSSettings.allowedKeys).flatMap(TLSSettings.read)
        try context.check()
        var snapshot = Snapshot(
            version: version ?? 0,
            createdAt: reader.string("created_at") ?? "",
            cause: reader.string("cause") ?? "",
            endpoints: endpoints,
            proxy: proxy,
            tls: tls
        )
        if let checksum, checksum != snapshot.checksum {
            // A snapshot from before per-endpoint digests (a cache, a control plane not yet
            // upgraded) keeps the checksum it says: later frames name it.
            guard checksum == Snapshot.legacyChecksum(of: endpoints, proxy: proxy, tls: tls) else {
                throw ValidationError(
                    field: "snapshot.checksum", "checksum mismatch: says \(checksum), content is \(snapshot.checksum)")
            }
            snapshot.checksum = checksum
        }
        return snapshot
    }
}

extension SnapshotEndpoint {
    static func read(_ reader: ObjectReader) -> SnapshotEndpoint? {
        let context = reader.validationContext
        let before = context.issues.count
        guard let configReader = reader.object("config", allowedKeys: EndpointConfig.allowedKeys) else {
            if !reader.has("config") { reader.requireMissing("config") }
            return nil
        }
        let config = EndpointConfig.read(configReader)
        let breaker =
            reader.object("circuit_breaker", allowedKeys: BreakerPolicy.allowedKeys)
            .map { BreakerPolicyOverride.read($0).applied(to: .defaults) } ?? .defaults
        let health =
            reader.object("health_check", allowedKeys: HealthCheckPolicy.allowedKeys)
            .map { HealthCheckPolicyOverride.read($0).applied(to: .defaults) } ?? .defaults
        let owner = reader.enumeration("owner", EndpointOwner.self) ?? .api
        let healthState = reader.enumeration("health", EndpointHealth.self) ?? .unknown
        let status = reader.enumeration("status", AdminStatus.self) ?? .active
        guard let config, context.issues.count == before else { return nil }
        return SnapshotEndpoint(
            config: config, owner: owner, circuitBreaker: breaker, healthCheck: health, health: healthState,
            status: status)
    }
}

extension ObjectReader {
    /// A string that must be one of an enumeration's raw values.
    package func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) -> E?
    where E.RawValue == String {
        guard let text = string(key) else { return nil }
        if let value = E(rawValue: text) { return value }
        fail(key, "must be one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        return nil
    }
}
