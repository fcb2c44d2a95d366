/// `POST /router/refresh`: the current snapshot was sent again to every replica.
package struct RoutesRefreshed: Codable, Sendable, Equatable {
    package var success: Bool
    package var message: String
    package var activeRoutesCount: Int
    package var snapshotVersion: Int
    package var timestamp: String

    package init(
        success: Bool = true, message: String = "Route mappings refreshed successfully", activeRoutesCount: Int,
        snapshotVersion: Int, timestamp: String
    ) {
        self.success = success
        self.message = message
        self.activeRoutesCount = activeRoutesCount
        self.snapshotVersion = snapshotVersion
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case success
        case message
        case activeRoutesCount = "active_routes_count"
        case snapshotVersion = "snapshot_version"
        case timestamp
    }
}
