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

    enum CodingKeys: String, CodingKey {
        case added, changed, removed, unchanged, conflicts
        case policiesChanged = "policies_changed"
        case proxyChanged = "proxy_changed"
    }

    var isEmpty: Bool {
        added.isEmpty && changed.isEmpty && removed.isEmpty && !policiesChanged && proxyChanged != true
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

    struct Drift: Decodable, Sendable {
        var drifted: Bool
        var summary: String?
    }

    enum CodingKeys: String, CodingKey {
        case loaded, proxy, drift
        case configPath = "config_path"
    }
}
