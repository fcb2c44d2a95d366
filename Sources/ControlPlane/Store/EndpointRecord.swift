import Foundation
import GRDB
import Shared

/// One row of the `endpoint` table. What every write runs goes through cached statements, so
/// SQLite parses each statement once per connection, not once per write.
package struct EndpointRecord: Sendable, Equatable {
    package var config: EndpointConfig
    package var owner: EndpointOwner
    package var status: AdminStatus
    package var registeredAt: String
    package var seq: Int

    package var name: String { config.name }

    static func all(_ db: Database) throws -> [EndpointRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM endpoint ORDER BY seq").map(Self.init(row:))
    }

    static func find(_ db: Database, name: String) throws -> EndpointRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM endpoint WHERE name = ?"), arguments: [name])
            .map(Self.init(row:))
    }

    static func find(_ db: Database, url: String) throws -> EndpointRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM endpoint WHERE url = ?"), arguments: [url])
            .map(Self.init(row:))
    }

    static func nextSeq(_ db: Database) throws -> Int {
        // A bare MAX, which SQLite answers from the index's last entry.
        (try Int.fetchOne(db.cachedStatement(sql: "SELECT MAX(seq) FROM endpoint")) ?? 0) + 1
    }

    init(config: EndpointConfig, owner: EndpointOwner, status: AdminStatus, registeredAt: String, seq: Int) {
        self.config = config
        self.owner = owner
        self.status = status
        self.registeredAt = registeredAt
        self.seq = seq
    }

    init(row: Row) throws {
        let json: String = row["config"]
        config = try JSONDecoder().decode(EndpointConfig.self, from: Data(json.utf8))
        owner = EndpointOwner(rawValue: row["owner"]) ?? .api
        status = AdminStatus(rawValue: row["status"]) ?? .active
        registeredAt = row["registered_at"]
        seq = row["seq"]
    }

    /// Inserts or replaces the row for this endpoint's name.
    func save(_ db: Database) throws {
        let json = String(decoding: Snapshot.canonicalJSON(config), as: UTF8.self)
        try db.cachedStatement(
            sql: """
                INSERT INTO endpoint (name, url, owner, config, status, registered_at, seq)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET url = excluded.url, owner = excluded.owner,
                    config = excluded.config, status = excluded.status,
                    registered_at = excluded.registered_at, seq = excluded.seq
                """
        ).execute(arguments: [name, config.url, owner.rawValue, json, status.rawValue, registeredAt, seq])
    }

    static func delete(_ db: Database, name: String) throws {
        try db.cachedStatement(sql: "DELETE FROM endpoint WHERE name = ?").execute(arguments: [name])
    }
}
