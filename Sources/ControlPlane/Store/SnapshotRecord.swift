import AdminAPI
import Foundation
import GRDB
import Shared

/// Published snapshots, kept for history and rollback: the newest ``defaultHistory`` by default.
///
/// A version is stored either whole (`body`, the snapshot's canonical JSON, with the endpoints'
/// `seqs`) or, between whole ones, as its change from the version before (`delta`), so that a
/// change of one endpoint among thousands stores one endpoint. A whole snapshot is stored for
/// changes to everything (config file, rollback), once the changes stored since the newest whole
/// one add up to its size (``Chain``), and at least every ``fullInterval`` versions; so the store
/// grows by about twice the size of each change, and reading a version costs at most about two
/// whole snapshots' bytes. Reading a version applies the changes since the whole one before it
/// and checks the result against the stored checksum.
package enum SnapshotRecord {
    /// Snapshots kept when nothing else is asked: every configuration change stores one, so an
    /// unbounded history would grow the store without end.
    package static let defaultHistory = 100
    /// Versions stored as changes at most between two whole ones.
    package static let fullInterval = 1_000

    /// The versions stored since the newest whole one: what decides whether the next change is
    /// stored as such.
    struct Chain: Sendable, Equatable {
        /// The newest version stored whole with its seqs.
        var base: Int
        /// The size of its body.
        var baseBytes: Int
        /// The size of the changes stored after it.
        var changeBytes: Int
        /// The newest version in the chain.
        var newest: Int

        /// Whether a change of `bytes` at version `version` is stored as such on this chain.
        func takes(_ bytes: Int, at version: Int) -> Bool {
            version == newest + 1 && version - base <= SnapshotRecord.fullInterval
                && changeBytes + bytes <= baseBytes
        }

        /// The chain as the store holds it: from the newest whole version with seqs to the newest
        /// version; `nil` when there is none or a whole one without seqs follows it.
        static func read(_ db: Database) throws -> Chain? {
            guard let base = try newestBase(db),
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT (SELECT length(CAST(body AS BLOB)) FROM snapshot WHERE version = ?) AS base_bytes,
                            COALESCE(SUM(length(CAST(delta AS BLOB))), 0) AS change_bytes,
                            COUNT(delta) AS changes, MAX(version) AS newest
                        FROM snapshot WHERE version >= ?
                        """,
                    arguments: [base, base])
            else { return nil }
            let newest: Int = row["newest"]
            // A whole version without seqs after the base: the chain ended there.
            guard row["changes"] as Int == newest - base else { return nil }
            return Chain(base: base, baseBytes: row["base_bytes"], changeBytes: row["change_bytes"], newest: newest)
        }
    }

    /// Stores `snapshot` whole; `body` is its canonical JSON when the caller has it already.
    static func insert(_ db: Database, _ snapshot: Snapshot, body: Data? = nil, seqs: [Int]? = nil) throws {
        let body = String(decoding: body ?? Snapshot.canonicalJSON(snapshot), as: UTF8.self)
        let seqs = seqs.map { String(decoding: Snapshot.canonicalJSON($0), as: UTF8.self) }
        try db.execute(
            sql: """
                INSERT INTO snapshot (version, created_at, cause, checksum, body, endpoints_count, seqs)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                snapshot.version, snapshot.createdAt, snapshot.cause, snapshot.checksum, body, snapshot.endpoints.count,
                seqs,
            ])
    }

    /// Stores `snapshot` as `delta` (its canonical JSON) from the version before it.
    static func insert(_ db: Database, _ snapshot: Snapshot, delta: Data) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO snapshot (version, created_at, cause, checksum, body, endpoints_count, delta)
                VALUES (?, ?, ?, ?, '', ?, ?)
                """
        ).execute(
            arguments: [
                snapshot.version, snapshot.createdAt, snapshot.cause, snapshot.checksum, snapshot.endpoints.count,
                String(decoding: delta, as: UTF8.self),
            ])
    }

    /// The newest version stored whole with its seqs: a base that changes can be stored on.
    static func newestBase(_ db: Database) throws -> Int? {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT MAX(version) FROM snapshot WHERE seqs IS NOT NULL"))
    }

    /// Deletes all but the newest `count` snapshots, keeping the whole one the oldest of those
    /// is built on (so a few more may stay).
    static func prune(_ db: Database, keeping count: Int) throws {
        guard let newest = try newestVersion(db) else { return }
        let oldestKept = newest - max(1, count) + 1
        let base =
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT MAX(version) FROM snapshot WHERE delta IS NULL AND version <= ?"),
                arguments: [oldestKept]) ?? oldestKept
        try db.cachedStatement(sql: "DELETE FROM snapshot WHERE version < ?").execute(
            arguments: [min(base, oldestKept)])
    }

    /// The newest version stored.
    static func newestVersion(_ db: Database) throws -> Int? {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT MAX(version) FROM snapshot"))
    }

    /// The oldest version still stored.
    static func oldestVersion(_ db: Database) throws -> Int? {
        try Int.fetchOne(db, sql: "SELECT MIN(version) FROM snapshot")
    }

    static func latest(_ db: Database) throws -> Snapshot? {
        guard let newest = try newestVersion(db) else { return nil }
        return try find(db, version: newest)
    }

    /// The snapshot of `version`, rebuilt from the whole one before it when stored as a change.
    static func find(_ db: Database, version: Int) throws -> Snapshot? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM snapshot WHERE version = ?", arguments: [version])
        else { return nil }
        guard let delta: String = row["delta"] else { return try decode(row["body"]) }
        guard
            let base = try Row.fetchOne(
                db,
                sql: "SELECT * FROM snapshot WHERE seqs IS NOT NULL AND version < ? ORDER BY version DESC LIMIT 1",
                arguments: [version])
        else { throw StoredSnapshotError(version: version, reason: "the whole snapshot it builds on is missing") }
        var content = SnapshotContent(
            try decode(base["body"]),
            seqs: try JSONDecoder().decode([Int].self, from: Data((base["seqs"] as String).utf8)))
        let baseVersion: Int = base["version"]
        let changes = try String.fetchAll(
            db, sql: "SELECT delta FROM snapshot WHERE version > ? AND version < ? ORDER BY version",
            arguments: [baseVersion, version])
        guard changes.count == version - baseVersion - 1 else {
            throw StoredSnapshotError(
                version: version, reason: "a change between it and version \(baseVersion) is missing")
        }
        for change in changes + [delta] {
            content = try JSONDecoder().decode(SnapshotDelta.self, from: Data(change.utf8)).applied(to: content)
        }
        var snapshot = content.snapshot(version: version, createdAt: row["created_at"], cause: row["cause"])
        let stored: String = row["checksum"]
        if snapshot.checksum != stored {
            // Stored before per-endpoint digests: the legacy checksum of the same content.
            guard stored == Snapshot.legacyChecksum(of: snapshot.endpoints, proxy: snapshot.proxy, tls: snapshot.tls)
            else {
                throw StoredSnapshotError(version: version, reason: "its rebuilt content does not match its checksum")
            }
            snapshot.checksum = stored
        }
        return snapshot
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

/// A stored snapshot that cannot be rebuilt: the store was damaged or edited by hand.
struct StoredSnapshotError: Error, CustomStringConvertible {
    let version: Int
    let reason: String

    var description: String { "stored snapshot \(version) cannot be rebuilt: \(reason)" }
}
