/// `GET /`: what the service is.
struct ServiceInfo: Decodable, Sendable {
    var service: String
    var version: String
}

/// `GET /health`: liveness of the control plane.
struct ServiceHealth: Decodable, Sendable {
    struct Configuration: Decodable, Sendable {
        var loaded: Bool
        var endpointsCount: Int?
        var lastReloadOK: Bool?

        enum CodingKeys: String, CodingKey {
            case loaded
            case endpointsCount = "endpoints_count"
            case lastReloadOK = "last_reload_ok"
        }
    }

    var status: String
    var uptimeSeconds: Int?
    var snapshotVersion: Int?
    var configuration: Configuration?

    enum CodingKeys: String, CodingKey {
        case status
        case uptimeSeconds = "uptime_s"
        case snapshotVersion = "snapshot_version"
        case configuration
    }
}
