/// What applying a config file changed among the file-owned endpoints.
package struct SyncResult: Codable, Sendable, Equatable {
    package var added: [String]
    package var updated: [String]
    package var removed: [String]
    package var errors: [String]

    package init(added: [String] = [], updated: [String] = [], removed: [String] = [], errors: [String] = []) {
        self.added = added
        self.updated = updated
        self.removed = removed
        self.errors = errors
    }

    /// Whether nothing was added, updated or removed.
    package var isEmpty: Bool { added.isEmpty && updated.isEmpty && removed.isEmpty }
}

/// `POST /registry/sync`.
package struct RegistrySynced: Codable, Sendable, Equatable {
    package var success: Bool
    package var message: String
    package var syncResult: SyncResult
    package var timestamp: String

    package init(
        success: Bool = true, message: String = "Registry synchronized with configuration", syncResult: SyncResult,
        timestamp: String
    ) {
        self.success = success
        self.message = message
        self.syncResult = syncResult
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case success
        case message
        case syncResult = "sync_result"
        case timestamp
    }
}
