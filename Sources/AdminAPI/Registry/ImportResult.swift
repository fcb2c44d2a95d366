/// `POST /registry/import`: what an import did (or would do, on a dry run).
package struct ImportResult: Codable, Sendable, Equatable {
    package var added: [String]
    package var updated: [String]
    package var removed: [String]
    package var unchanged: [String]
    package var dryRun: Bool

    package init(
        added: [String] = [], updated: [String] = [], removed: [String] = [], unchanged: [String] = [],
        dryRun: Bool = false
    ) {
        self.added = added
        self.updated = updated
        self.removed = removed
        self.unchanged = unchanged
        self.dryRun = dryRun
    }

    enum CodingKeys: String, CodingKey {
        case added
        case updated
        case removed
        case unchanged
        case dryRun = "dry_run"
    }
}
