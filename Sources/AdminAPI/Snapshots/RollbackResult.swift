/// `POST /snapshots/{version}/rollback`.
package struct RollbackResult: Codable, Sendable, Equatable {
    package var success: Bool
    package var message: String
    /// The new snapshot version.
    package var version: Int
    package var restoredFrom: Int

    package init(success: Bool = true, message: String, version: Int, restoredFrom: Int) {
        self.success = success
        self.message = message
        self.version = version
        self.restoredFrom = restoredFrom
    }

    enum CodingKeys: String, CodingKey {
        case success
        case message
        case version
        case restoredFrom = "restored_from"
    }
}
