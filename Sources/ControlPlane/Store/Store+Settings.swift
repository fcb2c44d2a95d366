import Foundation
import Shared

/// The global policies in force (from the config file's `circuit_breaker:` and `health_check:`).
package struct GlobalPolicies: Sendable, Equatable, Codable {
    package var circuitBreaker: BreakerPolicy = .defaults
    package var healthCheck: HealthCheckPolicy = .defaults

    package init(circuitBreaker: BreakerPolicy = .defaults, healthCheck: HealthCheckPolicy = .defaults) {
        self.circuitBreaker = circuitBreaker
        self.healthCheck = healthCheck
    }

    static func load(_ db: any StoreTransaction) throws -> GlobalPolicies {
        guard
            let json = try db.setting("policies")
        else {
            return GlobalPolicies()
        }
        return (try? JSONDecoder().decode(GlobalPolicies.self, from: Data(json.utf8))) ?? GlobalPolicies()
    }

    func save(_ db: any StoreTransaction) throws {
        let json = String(decoding: Snapshot.canonicalJSON(self), as: UTF8.self)
        try db.setSetting("policies", to: json)
    }
}

extension ProxyLimits {
    /// The limits in force: the config file's `proxy:` section as last applied, or a rolled-back
    /// snapshot's; the defaults until either happened.
    static func load(_ db: any StoreTransaction) throws -> ProxyLimits {
        guard let json = try db.setting("proxy")
        else {
            return .defaults
        }
        return (try? JSONDecoder().decode(ProxyLimits.self, from: Data(json.utf8))) ?? .defaults
    }

    func save(_ db: any StoreTransaction) throws {
        let json = String(decoding: Snapshot.canonicalJSON(self), as: UTF8.self)
        try db.setSetting("proxy", to: json)
    }
}

extension TLSSettings {
    /// The TLS settings in force: the config file's `tls:` section as last applied; `nil` when
    /// it has none. A rollback keeps them: certificates follow the file, not the history.
    static func load(_ db: any StoreTransaction) throws -> TLSSettings? {
        guard let json = try db.setting("tls")
        else {
            return nil
        }
        return try? JSONDecoder().decode(TLSSettings.self, from: Data(json.utf8))
    }

    /// Stores `settings`, or removes the stored ones when `nil`.
    static func save(_ settings: TLSSettings?, _ db: any StoreTransaction) throws {
        guard let settings else {
            try db.setSetting("tls", to: nil)
            return
        }
        let json = String(decoding: Snapshot.canonicalJSON(settings), as: UTF8.self)
        try db.setSetting("tls", to: json)
    }
}
