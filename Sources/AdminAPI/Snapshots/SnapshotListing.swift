/// A stored snapshot without its body.
package struct SnapshotSummary: Codable, Sendable, Equatable {
    package var version: Int
    package var createdAt: String
    package var cause: String
    package var checksum: String
    package var endpointsCount: Int

    package init(version: Int, createdAt: String, cause: String, checksum: String, endpointsCount: Int) {
        self.version = version
        self.createdAt = createdAt
        self.cause = cause
        self.checksum = checksum
        self.endpointsCount = endpointsCount
    }

    enum CodingKeys: String, CodingKey {
        case version
        case createdAt = "created_at"
        case cause
        case checksum
        case endpointsCount = "endpoints_count"
    }
}

/// `GET /snapshots`: published snapshots, newest first.
package struct SnapshotListing: Codable, Sendable, Equatable {
    package var currentVersion: Int
    package var snapshots: [SnapshotSummary]
    package var totalCount: Int
    /// Pass as `cursor` for the next (older) page; `null` on the last one.
    @NullEncoded package var nextCursor: String?

    package init(currentVersion: Int, snapshots: [SnapshotSummary], totalCount: Int, nextCursor: String? = nil) {
        self.currentVersion = currentVersion
        self.snapshots = snapshots
        self.totalCount = totalCount
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case currentVersion = "current_version"
        case snapshots
        case totalCount = "total_count"
        case nextCursor = "next_cursor"
    }
}
