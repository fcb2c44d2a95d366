import AdminAPI
import Shared

/// What applying a config document would change in the serving state: the file-owned endpoints,
/// the global policies, the proxy limits and the TLS settings. `POST /config/diff` compares an uploaded document;
/// the drift in `/config/status` compares the loaded file (after a rollback the serving state
/// differs from it until the next reload).
package struct ConfigComparison: Sendable, Encodable, Equatable {
    /// In the document, not serving.
    package var added: [String] = []
    /// Serving with other settings than the document's (top-level field names).
    package var changed: [ConfigChange] = []
    /// Serving as file-owned, not in the document.
    package var removed: [String] = []
    package var unchanged: [String] = []
    /// Document endpoints that collide with API-owned ones.
    package var conflicts: [String] = []
    package var policiesChanged = false
    package var proxyChanged = false
    package var tlsChanged = false

    /// Whether applying the document would change anything.
    package var differs: Bool {
        !added.isEmpty || !changed.isEmpty || !removed.isEmpty || policiesChanged || proxyChanged || tlsChanged
    }

    /// One line: `~ httpbin (timeout); + reports; proxy limits`.
    package var summary: String {
        var parts = added.map { "+ \($0)" }
        parts += changed.map { "~ \($0.name) (\($0.fields.joined(separator: ", ")))" }
        parts += removed.map { "- \($0)" }
        if policiesChanged { parts.append("~ global policies") }
        if proxyChanged { parts.append("~ proxy limits") }
        if tlsChanged { parts.append("~ tls settings") }
        return parts.joined(separator: "; ")
    }

    package init(
        _ document: GatewayConfig, records: [EndpointRecord], policies: GlobalPolicies, proxy: ProxyLimits,
        tls: TLSSettings? = nil
    ) {
        let fileOwned = Dictionary(
            records.filter { $0.owner == .file }.map { ($0.name, $0.config) }, uniquingKeysWith: { first, _ in first })
        let apiOwned = records.filter { $0.owner == .api }
        for endpoint in document.endpoints {
            if let api = apiOwned.first(where: { $0.name == endpoint.name || $0.config.url == endpoint.url }) {
                conflicts.append("'\(endpoint.name)' collides with API-owned endpoint '\(api.name)'")
            } else if let current = fileOwned[endpoint.name] {
                let fields = Self.changedFields(current, endpoint)
                if fields.isEmpty {
                    unchanged.append(endpoint.name)
                } else {
                    changed.append(ConfigChange(name: endpoint.name, fields: fields))
                }
            } else {
                added.append(endpoint.name)
            }
        }
        let names = Set(document.endpoints.map(\.name))
        removed = fileOwned.keys.filter { !names.contains($0) }.sorted()
        policiesChanged =
            policies != GlobalPolicies(circuitBreaker: document.circuitBreaker, healthCheck: document.healthCheck)
        proxyChanged = document.proxy != proxy
        tlsChanged = document.tls != tls
    }

    /// Names of the top-level fields that differ between two endpoint configs.
    static func changedFields(_ old: EndpointConfig, _ new: EndpointConfig) -> [String] {
        var fields: [String] = []
        if old.url != new.url { fields.append("url") }
        if old.version != new.version { fields.append("version") }
        if old.methods != new.methods { fields.append("methods") }
        if old.authType != new.authType { fields.append("auth_type") }
        if old.disabled != new.disabled { fields.append("disabled") }
        if old.healthCheckPath != new.healthCheckPath { fields.append("health_check_path") }
        if old.timeout != new.timeout { fields.append("timeout") }
        if old.circuitBreaker != new.circuitBreaker { fields.append("circuit_breaker") }
        if old.healthCheck != new.healthCheck { fields.append("health_check") }
        return fields
    }

    enum CodingKeys: String, CodingKey {
        case added, changed, removed, unchanged, conflicts
        case policiesChanged = "policies_changed"
        case proxyChanged = "proxy_changed"
        case tlsChanged = "tls_changed"
    }
}

extension ConfigDrift {
    /// The drift `comparison` describes.
    package init(_ comparison: ConfigComparison) {
        self.init(
            drifted: comparison.differs, summary: comparison.differs ? comparison.summary : nil,
            added: comparison.added, changed: comparison.changed, removed: comparison.removed,
            policiesChanged: comparison.policiesChanged, proxyChanged: comparison.proxyChanged)
    }
}

extension AdminServices {
    /// How the serving state differs from the loaded config file; `nil` while no version of the
    /// file (or its absence) was ever applied.
    package func configDrift() async throws -> ConfigDrift? {
        guard let baseline = await config.applied else { return nil }
        let records = try await registry.records()
        let policies = try await store.readTransaction { db in try GlobalPolicies.load(db) }
        let current = await registry.current
        return ConfigDrift(
            ConfigComparison(
                baseline, records: records, policies: policies, proxy: current.proxy ?? .defaults, tls: current.tls))
    }
}
