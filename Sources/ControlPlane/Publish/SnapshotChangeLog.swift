import Shared

/// The recent versions' changes, for deltas: each version's checksum and, when it was made by a
/// change to named endpoints, that change from the version before. Keeps the newest
/// ``capacity`` versions.
struct SnapshotChangeLog: Sendable {
    /// Versions kept.
    static let capacity = 1024
    /// A replica further behind than this gets the whole snapshot instead of a composed change.
    static let maximumSpan = 256

    private var checksums: [Int: String] = [:]
    private var changes: [Int: SnapshotDelta] = [:]
    private var newest = 0

    /// Records `version` with its checksum and its change from `version - 1`, if known.
    mutating func record(version: Int, checksum: String, change: SnapshotDelta?) {
        checksums[version] = checksum
        changes[version] = change
        newest = max(newest, version)
        // Versions come one by one: dropping the one that fell out keeps the log at its capacity
        // without a pass over it per version. After a jump (a restored store), one pass.
        let oldest = newest - Self.capacity
        checksums[oldest] = nil
        changes[oldest] = nil
        if checksums.count > Self.capacity {
            checksums = checksums.filter { $0.key > oldest }
            changes = changes.filter { $0.key > oldest }
        }
    }

    func checksum(of version: Int) -> String? { checksums[version] }

    /// Whether ``change(from:to:)`` has an answer.
    func covers(from: Int, to: Int) -> Bool {
        guard from < to, to - from <= Self.maximumSpan, checksums[from] != nil else { return false }
        return (from + 1...to).allSatisfy { changes[$0] != nil }
    }

    /// The change from version `from` to `to`, the changes between composed.
    func change(from: Int, to: Int) -> SnapshotDelta? {
        guard covers(from: from, to: to), var composed = changes[from + 1] else { return nil }
        if to > from + 1 {
            for version in from + 2...to {
                guard let next = changes[version] else { return nil }
                composed = composed.followed(by: next)
            }
        }
        return composed
    }
}
