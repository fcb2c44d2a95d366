/// `GET /snapshots`: published snapshots, newest first.
struct SnapshotListing: Decodable, Sendable {
    struct Summary: Decodable, Sendable {
        var version: Int
        var createdAt: String
        var cause: String
        var checksum: String
        var endpointsCount: Int

        enum CodingKeys: String, CodingKey {
            case version
            case createdAt = "created_at"
            case cause, checksum
            case endpointsCount = "endpoints_count"
        }
    }

    var currentVersion: Int
    var snapshots: [Summary]
    var totalCount: Int

    enum CodingKeys: String, CodingKey {
        case currentVersion = "current_version"
        case snapshots
        case totalCount = "total_count"
    }
}

/// `POST /snapshots/{version}/rollback`.
struct RollbackResult: Decodable, Sendable {
    var message: String
    var version: Int
    var restoredFrom: Int

    enum CodingKeys: String, CodingKey {
        case message, version
        case restoredFrom = "restored_from"
    }
}
