/// What applying a config file changed among the file-owned endpoints.
package struct SyncResult: Sendable, Equatable, Codable {
    package var added: [String] = []
    package var updated: [String] = []
    package var removed: [String] = []
    package var errors: [String] = []

    package init() {}

    package var isEmpty: Bool { added.isEmpty && updated.isEmpty && removed.isEmpty }
}
