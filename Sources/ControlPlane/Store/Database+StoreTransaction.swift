import AdminAPI
import Foundation
import GRDB
import Shared

/// The SQLite store's transactions: what every write runs goes through cached statements, so
/// SQLite parses each statement once per connection, not once per write.
extension Database: StoreTransaction {
    package func allEndpoints() throws -> [EndpointRecord] {
        try Row.fetchAll(self, sql: "SELECT * FROM endpoint ORDER BY seq").map(EndpointRecord.init(row:))
    }

    package func endpoint(named name: String) throws -> EndpointRecord? {
        try Row.fetchOne(cachedStatement(sql: "SELECT * FROM endpoint WHERE name = ?"), arguments: [name])
            .map(EndpointRecord.init(row:))
    }

    package func endpoint(url: String) throws -> EndpointRecord? {
        try Row.fetchOne(cachedStatement(sql: "SELECT * FROM endpoint WHERE url = ?"), arguments: [url])
            .map(EndpointRecord.init(row:))
    }

    package func highestEndpointSeq() throws -> Int? {
        // A bare MAX, which SQLite answers from the index's last entry.
        try Int.fetchOne(cachedStatement(sql: "SELECT MAX(seq) FROM endpoint"))
    }

    package func save(_ record: EndpointRecord) throws {
        try cachedStatement(
            sql: """
                INSERT INTO endpoint (name, url, owner, config, status, registered_at, seq)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET url = excluded.url, owner = excluded.owner,
                    config = excluded.config, status = excluded.status,
                    registered_at = excluded.registered_at, seq = excluded.seq
                """
        ).execute(
            arguments: [
                record.name, record.config.url, record.owner.rawValue, record.configJSON, record.status.rawValue,
                record.registeredAt, record.seq,
            ])
    }

    package func deleteEndpoint(named name: String) throws {
        try cachedStatement(sql: "DELETE FROM endpoint WHERE name = ?").execute(arguments: [name])
    }

    package func deleteEndpoints(ownedBy owner: EndpointOwner?) throws {
        if let owner {
            try execute(sql: "DELETE FROM endpoint WHERE owner = ?", arguments: [owner.rawValue])
        } else {
            try execute(sql: "DELETE FROM endpoint")
        }
    }

    package func setting(_ key: String) throws -> String? {
        try String.fetchOne(cachedStatement(sql: "SELECT value FROM setting WHERE key = ?"), arguments: [key])
    }

    package func setSetting(_ key: String, to value: String?) throws {
        guard let value else {
            try execute(sql: "DELETE FROM setting WHERE key = ?", arguments: [key])
            return
        }
        try execute(
            sql: "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            arguments: [key, value])
    }

    package func insertSnapshot(_ row: SnapshotRow) throws {
        try cachedStatement(
            sql: """
                INSERT INTO snapshot (version, created_at, cause, checksum, body, endpoints_count, delta, seqs)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                row.version, row.createdAt, row.cause, row.checksum, row.body, row.endpointsCount, row.delta, row.seqs,
            ])
    }

    package func snapshotRow(version: Int) throws -> SnapshotRow? {
        try Row.fetchOne(self, sql: "SELECT * FROM snapshot WHERE version = ?", arguments: [version])
            .map(SnapshotRow.init(row:))
    }

    package func baseRow(before version: Int) throws -> SnapshotRow? {
        try Row.fetchOne(
            self, sql: "SELECT * FROM snapshot WHERE seqs IS NOT NULL AND version < ? ORDER BY version DESC LIMIT 1",
            arguments: [version]
        ).map(SnapshotRow.init(row:))
    }

    package func snapshotChanges(after: Int, before: Int) throws -> [String] {
        try String.fetchAll(
            self,
            sql: "SELECT delta FROM snapshot WHERE version > ? AND version < ? AND delta IS NOT NULL ORDER BY version",
            arguments: [after, before])
    }

    package func newestSnapshotVersion() throws -> Int? {
        try Int.fetchOne(cachedStatement(sql: "SELECT MAX(version) FROM snapshot"))
    }

    package func oldestSnapshotVersion() throws -> Int? {
        try Int.fetchOne(self, sql: "SELECT MIN(version) FROM snapshot")
    }

    package func newestBaseVersion() throws -> Int? {
        try Int.fetchOne(cachedStatement(sql: "SELECT MAX(version) FROM snapshot WHERE seqs IS NOT NULL"))
    }

    package func newestWholeVersion(atMost version: Int) throws -> Int? {
        try Int.fetchOne(
            cachedStatement(sql: "SELECT MAX(version) FROM snapshot WHERE delta IS NULL AND version <= ?"),
            arguments: [version])
    }

    package func chainSizes(from base: Int) throws -> (baseBytes: Int, changeBytes: Int, changes: Int, newest: Int)? {
        guard
            let row = try Row.fetchOne(
                self,
                sql: """
                    SELECT (SELECT length(CAST(body AS BLOB)) FROM snapshot WHERE version = ?) AS base_bytes,
                        COALESCE(SUM(length(CAST(delta AS BLOB))), 0) AS change_bytes,
                        COUNT(delta) AS changes, MAX(version) AS newest
                    FROM snapshot WHERE version >= ?
                    """,
                arguments: [base, base]),
            let newest = row["newest"] as Int?
        else { return nil }
        return (row["base_bytes"] ?? 0, row["change_bytes"], row["changes"], newest)
    }

    package func deleteSnapshots(before version: Int) throws {
        try cachedStatement(sql: "DELETE FROM snapshot WHERE version < ?").execute(arguments: [version])
    }

    package func snapshotSummaries(before: Int?, limit: Int, offset: Int) throws -> [SnapshotSummary] {
        try Row.fetchAll(
            self,
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

    package func snapshotCount() throws -> Int {
        try Int.fetchOne(self, sql: "SELECT COUNT(*) FROM snapshot") ?? 0
    }

    package func withSavepoint<T>(_ body: () throws -> T) throws -> T {
        // Not GRDB's `inSavepoint`, which does not tell when the undoing failed.
        try withSavepoint(executing: { try execute(sql: $0) }, body)
    }

    package func announce(version: Int) throws {}

    package func fence(epoch: Int64) throws {}
}

extension EndpointRecord {
    init(row: Row) throws {
        try self.init(
            configJSON: row["config"], owner: row["owner"], status: row["status"], registeredAt: row["registered_at"],
            seq: row["seq"])
    }
}

extension SnapshotRow {
    init(row: Row) {
        self.init(
            version: row["version"], createdAt: row["created_at"], cause: row["cause"], checksum: row["checksum"],
            body: row["body"], endpointsCount: row["endpoints_count"], delta: row["delta"], seqs: row["seqs"])
    }
}
