import AdminAPI
import Foundation
import GRDB
import Shared

/// Published snapshots, kept for history and rollback: the newest ``defaultHistory`` by default.
package enum SnapshotRecord {
    /// Snapshots kept when nothing else is asked: every change and every health flip stores one,
    /// so an unbounded history would grow the store without end.
    package static let defaultHistory = 100

    /// Stores `snapshot`; `body` is its canonical JSON when the caller has it already.
    static func insert(_ db: Database, _ snapshot: Snapshot, body: Data? = nil) throws {
        let body = String(decoding: body ?? Snapshot.canonicalJSON(snapshot), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT INTO snapshot (version, created_at, cause, checksum, body, endpoints_count)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                snapshot.version, snapshot.createdAt, snapshot.cause, snapshot.checksum, body, snapshot.endpoints.count,
            ])
    }

    /// Deletes all but the newest `count` snapshots (at least the newest one stays).
    static func prune(_ db: Database, keeping count: Int) throws {
        try db.execute(
            sql: "DELETE FROM snapshot WHERE version <= (SELECT MAX(version) FROM snapshot) - ?",
            arguments: [max(1, count)])
    }

    /// The oldest version still stored.
    static func oldestVersion(_ db: Database) throws -> Int? {
        try Int.fetchOne(db, sql: "SELECT MIN(version) FROM snapshot")
    }

    static func latest(_ db: Database) throws -> Snapshot? {
        try String.fetchOne(db, sql: "SELECT body FROM snapshot ORDER BY version DESC LIMIT 1").map(decode)
    }

    static func find(_ db: Database, version: Int) throws -> Snapshot? {
        try String.fetchOne(db, sql: "SELECT body FROM snapshot WHERE version = ?", arguments: [version]).map(decode)
    }

    /// Summaries, newest first, of versions below `before` (all when `nil`), after skipping
    /// `offset`; bodies are not read.
    static func list(_ db: Database, before: Int? = nil, limit: Int, offset: Int) throws -> [SnapshotSummary] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT version, created_at, cause, checksum, endpoints_count FROM snapshot
                WHERE version < ? ORDER BY version DESC LIMIT ? OFFSET ?
                """,
            arguments: [before ?? Int.max, limit, offset]
        ).map { row in
            SnapshotSummary(
                version: row["version"], createdAt: row["created_at"], cause: row["cause"], checksum: row["checksum"],
                endpointsCount: row["endpoints_count"])
        }
    }

    static func count(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM snapshot") ?? 0
    }

    static func decode(_ body: String) throws -> Snapshot {
        try JSONDecoder().decode(Snapshot.self, from: Data(body.utf8))
    }
}
