/// `POST /config/reload`: the file was read and applied.
package struct ConfigReloaded: Codable, Sendable, Equatable {
    package var success: Bool
    package var message: String
    package var endpointsCount: Int
    package var syncResult: SyncResult
    package var errors: [String]

    package init(
        success: Bool = true, message: String = "Configuration reloaded successfully", endpointsCount: Int,
        syncResult: SyncResult, errors: [String] = []
    ) {
        self.success = success
        self.message = message
        self.endpointsCount = endpointsCount
        self.syncResult = syncResult
        self.errors = errors
    }

    enum CodingKeys: String, CodingKey {
        case success
        case message
        case endpointsCount = "endpoints_count"
        case syncResult = "sync_result"
        case errors
    }
}
