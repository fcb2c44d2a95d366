import Shared

/// `POST /config/reload`.
struct ReloadResult: Decodable, Sendable {
    struct Sync: Decodable, Sendable {
        var added: [String]
        var updated: [String]
        var removed: [String]
    }

    var message: String
    var endpointsCount: Int
    var syncResult: Sync

    enum CodingKeys: String, CodingKey {
        case message
        case endpointsCount = "endpoints_count"
        case syncResult = "sync_result"
    }
}

/// `POST /config/validate`: whether an uploaded document is acceptable, with every problem.
struct ValidationResult: Decodable, Sendable {
    var valid: Bool
    var errors: [ValidationIssue]
    var endpointsCount: Int?

    enum CodingKeys: String, CodingKey {
        case valid, errors
        case endpointsCount = "endpoints_count"
    }
}

/// `POST /config/diff`: what applying an uploaded document would change.
struct ConfigDiff: Decodable, Sendable {
    struct Changed: Decodable, Sendable {
        var name: String
        var fields: [String]
    }

    var added: [String]
    var changed: [Changed]
    var removed: [String]
    var unchanged: [String]
    var conflicts: [String]
    var policiesChanged: Bool
    /// Absent from control planes that predate the `proxy:` section.
    var proxyChanged: Bool?
    /// Absent from control planes that predate the `tls:` section.
    var tlsChanged: Bool?

    enum CodingKeys: String, CodingKey {
        case added, changed, removed, unchanged, conflicts
        case policiesChanged = "policies_changed"
        case proxyChanged = "proxy_changed"
        case tlsChanged = "tls_changed"
    }

    var isEmpty: Bool {
        added.isEmpty && changed.isEmpty && removed.isEmpty && !policiesChanged && proxyChanged != true
            && tlsChanged != true
    }
}

/// `GET /config/status`: the watched file's state and the limits the replicas apply.
struct ConfigStatus: Decodable, Sendable {
    var loaded: Bool
    var configPath: String?
    /// Absent from control planes that predate the `proxy:` section.
    var proxy: ProxyLimits?
    /// How the serving state differs from the file; absent from older control planes.
    var drift: Drift?
    /// The TLS listener and its certificates; absent from control planes that predate TLS.
    var tls: TLSStatus?

    struct Drift: Decodable, Sendable {
        var drifted: Bool
        var summary: String?
    }

    enum CodingKeys: String, CodingKey {
        case loaded, proxy, drift, tls
        case configPath = "config_path"
    }
}

/// `/config/status`'s `tls`.
struct TLSStatus: Decodable, Sendable {
    struct Certificate: Decodable, Sendable {
        var certFile: String
        var isDefault: Bool?
        var subject: String?
        var dnsNames: [String]?
        var ipAddresses: [String]?
        var notAfter: String?
        var daysLeft: Int?
        var expired: Bool?
        var expiresSoon: Bool?
        var error: String?

        enum CodingKeys: String, CodingKey {
            case certFile = "cert_file"
            case isDefault = "default"
            case subject
            case dnsNames = "dns_names"
            case ipAddresses = "ip_addresses"
            case notAfter = "not_after"
            case daysLeft = "days_left"
            case expired
            case expiresSoon = "expires_soon"
            case error
        }
    }

    var listener: String?
    var minVersion: String?
    var clientCAFile: String?
    var certificates: [Certificate]

    enum CodingKeys: String, CodingKey {
        case listener, certificates
        case minVersion = "min_version"
        case clientCAFile = "client_ca_file"
    }
}
